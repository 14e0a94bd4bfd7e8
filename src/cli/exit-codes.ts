// Exit codes shared by every command.
export const EXIT_OK = 0;
/** A check failed or the command could not do its job. */
export const EXIT_FAILURE = 1;
/** The command line itself was wrong (unknown option, missing argument, conflicting flags). */
export const EXIT_USAGE = 2;
