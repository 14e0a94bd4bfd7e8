// A mistake in how the user asked for something (two options that exclude each other, a value of the wrong shape),
// found after the command line was parsed. Every command answers it the same way: the message, and exit code 2.
export class UsageError extends Error {}
