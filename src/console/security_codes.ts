/**
 * The codes the security screen shows words for: the detections (SECURITY_DETECTIONS in
 * src/journal/entry_types.ts, which the console does not import; security_codes.test.ts holds
 * the two lists together) and the severities, most severe first.
 */
export const DETECTIONS = [
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

export const SEVERITIES = ['critical', 'high', 'warning'] as const;
