import { SECURITY_DETECTIONS } from '../domain/security_alert.ts';

/**
 * The codes the security screen shows words for: the detections (the one list in
 * src/domain/security_alert.ts, which the journal's entries use too) and the severities, most
 * severe first.
 */
export const DETECTIONS = SECURITY_DETECTIONS;

export const SEVERITIES = ['critical', 'high', 'warning'] as const;
