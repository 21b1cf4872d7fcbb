/** RFC 5424 messages for alerts: exact bytes, each escaping rule, and safe truncation. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { AlertEnvelope, SecurityAlert } from './alert_envelope.ts';
import {
  cutUtf8,
  escapeParamValue,
  formatSyslog,
  headerField,
  octetCounted,
  paramName,
  type SyslogOptions,
  withoutControls,
} from './syslog_format.ts';

export const ALERT: SecurityAlert = {
  type: 'SECURITY_ALERT',
  at: Date.UTC(2024, 5, 3, 3, 15, 0, 123),
  alertId: 'credential-stuffing:203.0.113.9:1717384200',
  detection: 'credential-stuffing',
  severity: 'critical',
  subject: { address: '203.0.113.9' },
  firstAt: Date.UTC(2024, 5, 3, 3, 10, 0, 0),
  lastAt: Date.UTC(2024, 5, 3, 3, 14, 59, 870),
  evidence: { events: 120, accounts: 45 },
  responses: ['throttle'],
};

const envelope = (alert: SecurityAlert, more: Partial<AlertEnvelope> = {}): AlertEnvelope => ({
  version: 1,
  deliveryId: '0b7f3c5e-8a7d-4a51-9d1e-3f2b6c0d9e11',
  center: { name: 'centro-cdmx-1', electionId: 'PEF2024', mode: 'live' },
  droppedBefore: 0,
  alert,
  ...more,
});

const OPTIONS: SyslogOptions = {
  facility: 10,
  hostname: 'centro-cdmx-1',
  appName: 'openprep',
  procId: '4242',
  enterpriseNumber: 32473,
  maxBytes: 2048,
};

const text = (bytes: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

/** The structured data of a message, read back by the RFC 5424 §6.3 grammar: what a receiver sees. */
function parseStructuredData(message: string): {
  elements: { id: string; params: [string, string][] }[];
  rest: string;
} {
  const fields = message.split(' ');
  assert.ok(fields.length >= 7, message);
  let at = fields.slice(0, 6).join(' ').length + 1;
  const elements: { id: string; params: [string, string][] }[] = [];
  if (message[at] === '-') return { elements, rest: message.slice(at + 1) };
  while (message[at] === '[') {
    at += 1;
    const idEnd = message.slice(at).search(/[ \]]/);
    const id = message.slice(at, at + idEnd);
    assert.match(id, /^[^\s="\]]{1,32}$/);
    at += idEnd;
    const params: [string, string][] = [];
    while (message[at] === ' ') {
      at += 1;
      const eq = message.indexOf('="', at);
      const name = message.slice(at, eq);
      assert.match(name, /^[\x21-\x7e]{1,32}$/);
      assert.doesNotMatch(name, /[="\] ]/);
      at = eq + 2;
      let value = '';
      for (;;) {
        const c = message[at];
        assert.ok(c !== undefined, `unterminated value in ${message}`);
        if (c === '\\' && ['"', '\\', ']'].includes(message[at + 1] ?? '')) {
          value += message[at + 1];
          at += 2;
        } else if (c === '"') {
          at += 1;
          break;
        } else {
          assert.ok(c !== ']', `an unescaped ] inside a value: ${message}`);
          value += c;
          at += 1;
        }
      }
      params.push([name, value]);
    }
    assert.equal(message[at], ']', message);
    at += 1;
    elements.push({ id, params });
  }
  return { elements, rest: message.slice(at) };
}

describe('RFC 5424 messages of alerts', () => {
  test('known answer: a critical alert, every field in place', () => {
    assert.equal(
      text(formatSyslog(envelope(ALERT), OPTIONS)),
      '<82>1 2024-06-03T03:15:00.123Z centro-cdmx-1 openprep 4242 credential-stuffing ' +
        '[openprep@32473 alertId="credential-stuffing:203.0.113.9:1717384200" detection="credential-stuffing" severity="critical" ' +
        'firstAt="2024-06-03T03:10:00.000Z" lastAt="2024-06-03T03:14:59.870Z" responses="throttle" address="203.0.113.9" ' +
        'center="centro-cdmx-1" electionId="PEF2024" mode="live" deliveryId="0b7f3c5e-8a7d-4a51-9d1e-3f2b6c0d9e11"]' +
        '[evidence@32473 events="120" accounts="45"] ' +
        'OpenPREP security alert credential-stuffing (critical) address=203.0.113.9 on centro-cdmx-1',
    );
  });

  test('known answer: a high alert (err), a test after drops, another facility and enterprise number, no evidence', () => {
    const alert: SecurityAlert = {
      ...ALERT,
      alertId: 'a1',
      detection: 'device-scope',
      severity: 'high',
      subject: { deviceId: 'CATD-01-S1' },
      evidence: {},
      responses: [],
    };
    assert.equal(
      text(
        formatSyslog(envelope(alert, { test: true, droppedBefore: 3 }), {
          ...OPTIONS,
          facility: 13,
          enterpriseNumber: 61234,
          procId: '',
        }),
      ),
      '<107>1 2024-06-03T03:15:00.123Z centro-cdmx-1 openprep - device-scope ' +
        '[openprep@61234 alertId="a1" detection="device-scope" severity="high" ' +
        'firstAt="2024-06-03T03:10:00.000Z" lastAt="2024-06-03T03:14:59.870Z" responses="" deviceId="CATD-01-S1" ' +
        'center="centro-cdmx-1" electionId="PEF2024" mode="live" deliveryId="0b7f3c5e-8a7d-4a51-9d1e-3f2b6c0d9e11" dropped="3" test="true"] ' +
        '[TEST] OpenPREP security alert device-scope (high) deviceId=CATD-01-S1 on centro-cdmx-1',
    );
  });

  test('severity: critical is 2 (crit), high 3 (err), warning 4 (warning), under the facility', () => {
    for (const [severity, pri] of [
      ['critical', '<82>'],
      ['high', '<83>'],
      ['warning', '<84>'],
    ] as const)
      assert.ok(text(formatSyslog(envelope({ ...ALERT, severity }), OPTIONS)).startsWith(`${pri}1 `));
    assert.ok(text(formatSyslog(envelope(ALERT), { ...OPTIONS, facility: 0 })).startsWith('<2>1 '));
    assert.ok(text(formatSyslog(envelope(ALERT), { ...OPTIONS, facility: 23 })).startsWith('<186>1 '));
  });

  test('escaping: " \\ and ] in a value take a backslash, nothing else does', () => {
    assert.equal(escapeParamValue('a"b'), 'a\\"b');
    assert.equal(escapeParamValue('a\\b'), 'a\\\\b');
    assert.equal(escapeParamValue('a]b'), 'a\\]b');
    assert.equal(escapeParamValue('[x=y] ñ'), '[x=y\\] ñ');
    assert.equal(escapeParamValue('"]\\'), '\\"\\]\\\\');
  });

  test('escaping: control characters in a value or the text cannot split the message', () => {
    assert.equal(escapeParamValue('ana\nlopez\r\0'), 'ana\ufffdlopez\ufffd\ufffd');
    const hostile = { ...ALERT, subject: { username: 'x"] [openprep@32473 forged="1"]\nfake line' } };
    const message = text(formatSyslog(envelope(hostile), OPTIONS));
    assert.doesNotMatch(message, /[\n\r]/);
    const { elements } = parseStructuredData(message);
    assert.deepEqual(
      elements.map((e) => e.id),
      ['openprep@32473', 'evidence@32473'],
    );
    const username = elements[0]?.params.find(([name]) => name === 'username')?.[1];
    assert.equal(username, 'x"] [openprep@32473 forged="1"]\ufffdfake line');
    assert.equal(elements[0]?.params.filter(([name]) => name === 'forged').length, 0);
  });

  test('names: an evidence key becomes a valid PARAM-NAME (no =, space, ], " ; at most 32)', () => {
    assert.equal(paramName('bad key=x]"'), 'bad_key_x__');
    assert.equal(paramName(''), '_');
    assert.equal(paramName('ñandú'), '_and_');
    assert.equal(paramName('x'.repeat(40)), 'x'.repeat(32));
    const message = text(formatSyslog(envelope({ ...ALERT, evidence: { 'bad key=x': 1 } }), OPTIONS));
    assert.ok(message.includes('[evidence@32473 bad_key_x="1"]'));
  });

  test('header fields: printable ASCII only, bounded (HOSTNAME 255, APP-NAME 48), NILVALUE when empty', () => {
    assert.equal(headerField('centro 1\tñ', 255), 'centro1');
    assert.equal(headerField('', 48), '-');
    assert.equal(headerField('ñ', 48), '-');
    assert.equal(headerField('h'.repeat(300), 255).length, 255);
    const message = text(
      formatSyslog(envelope(ALERT), { ...OPTIONS, hostname: 'h'.repeat(300), appName: 'a'.repeat(60) }),
    );
    assert.ok(message.includes(` ${'h'.repeat(255)} ${'a'.repeat(48)} 4242 `));
  });

  test('truncation: the text is cut first, at a character boundary, and says so', () => {
    const alert = { ...ALERT, subject: { username: 'ñ'.repeat(100) } };
    const whole = formatSyslog(envelope(alert), OPTIONS);
    const cut = formatSyslog(envelope(alert), { ...OPTIONS, maxBytes: whole.length - 20 });
    assert.ok(cut.length <= whole.length - 20);
    const message = text(cut);
    assert.ok(message.includes(' truncated="true"]'));
    assert.ok(message.includes(`username="${'ñ'.repeat(100)}"`), 'the structured data is whole');
    assert.match(parseStructuredData(message).rest, /^ OpenPREP security alert/);
  });

  test('truncation: structured data too long for the limit keeps the alert id, detection and severity', () => {
    const alert = { ...ALERT, subject: { username: 'u'.repeat(2000) } };
    const message = text(formatSyslog(envelope(alert), { ...OPTIONS, maxBytes: 480 }));
    assert.ok(Buffer.byteLength(message) <= 480);
    const { elements } = parseStructuredData(message);
    assert.deepEqual(elements[0]?.params, [
      ['alertId', ALERT.alertId],
      ['detection', 'credential-stuffing'],
      ['severity', 'critical'],
      ['truncated', 'true'],
    ]);
  });

  test('property: any subject, any limit ≥ 480: within the limit, valid UTF-8, structured data that parses', () => {
    fc.assert(
      fc.property(
        fc.record({
          username: fc.string({ unit: 'binary', maxLength: 600 }),
          address: fc.string({ maxLength: 80 }),
        }),
        fc.dictionary(fc.string({ maxLength: 40 }), fc.integer()),
        fc.integer({ min: 480, max: 3000 }),
        (subject, evidence, maxBytes) => {
          const bytes = formatSyslog(envelope({ ...ALERT, subject, evidence }), { ...OPTIONS, maxBytes });
          assert.ok(bytes.length <= maxBytes);
          const message = text(bytes);
          assert.doesNotMatch(message, /[\n\r\0]/);
          const { elements } = parseStructuredData(message);
          assert.equal(elements[0]?.params[0]?.[1], ALERT.alertId);
          const username = elements[0]?.params.find(([name]) => name === 'username')?.[1];
          if (username !== undefined) assert.equal(username, withoutControls(subject.username));
        },
      ),
    );
  });

  test('cutUtf8 never ends inside a character', () => {
    assert.deepEqual([...cutUtf8('aé', 2)], [0x61]);
    assert.deepEqual([...cutUtf8('aé', 3)], [0x61, 0xc3, 0xa9]);
    assert.deepEqual([...cutUtf8('😀', 3)], []);
  });

  test('octet counting: the length in bytes, a space, the message', () => {
    assert.equal(text(octetCounted(new TextEncoder().encode('<82>1 ñ'))), '8 <82>1 ñ');
  });
});
