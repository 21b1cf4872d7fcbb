/**
 * The closed vocabulary of a security alert (docs/security-operations.md): what the journal's
 * SECURITY_ALERT entries say, what the monitor raises and what the console's security screen has
 * words for — one list for all three.
 */
/** The detections of security operations (src/security/), closed. */
export const SECURITY_DETECTIONS = [
  'credential-stuffing',
  'password-spraying',
  'brute-force',
  'success-after-failures',
  'outside-window',
  'new-network-admin',
  'concurrent-sources',
  'device-rate',
  'device-scope',
  'totp-reused',
  'decoy-used',
] as const;
/** What the center may do about an alert besides raising it, configured per detection. */
export const SECURITY_RESPONSES = ['step-up', 'throttle', 'revoke-sessions', 'revoke-device'] as const;
