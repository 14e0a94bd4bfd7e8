// Masks secrets for display: enough of the value to recognise it, never enough to use it.

/** `sk-proj-abc…wxyz` → `sk-proj-…wxyz`; short or unknown values keep only their last 4 characters. */
export function maskSecret(value: string | undefined): string {
  if (value === undefined || value === '') return '(empty)';
  const trimmed = value.trim();
  const prefix = /^(sk-(?:proj|svcacct|admin)-|sk-|whsec_|SK|AC)/.exec(trimmed)?.[0] ?? '';
  if (trimmed.length <= prefix.length + 8) return `${prefix}…`;
  return `${prefix}…${trimmed.slice(-4)}`;
}

/**
 * Replaces every occurrence of each secret in `text` by its masked form.
 * Used as the last step before anything reaches a terminal, a log or a JSON report.
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.trim().length < 8) continue;
    for (const form of new Set([secret, secret.trim()])) {
      if (form.length >= 8) out = out.split(form).join(maskSecret(form));
    }
  }
  return out;
}
