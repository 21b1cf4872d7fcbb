/**
 * The systemd units in deploy/systemd started for real: a Debian root (debootstrap, cached)
 * booted with systemd as PID 1 in a container (systemd-nspawn), the project laid out in
 * /opt/openprep as docs/deployment.md ("Packaging") installs it, the users, folders and units
 * installed by that page's own commands, the signer's key made and an embedded (SQLite) center
 * created as it says; then openprep-signer, openprep-serve and openprep-cut are started with
 * systemctl and checked from inside: each is active with the pinned Node as its main process,
 * serve answers /healthz and /readyz, the cut builder publishes a cut the signer signed, the
 * serve user cannot read the key, serve's view of the file system is read-only outside its
 * ReadWritePaths, and `systemctl stop` ends each cleanly within its TimeoutStopSec.
 *
 * It needs root, systemd-nspawn (Debian's systemd-container) and, for the first run,
 * debootstrap and the Debian mirror; the root is kept in /var/cache/openprep-test-rootfs/<release>
 * (OPENPREP_TEST_ROOTFS_CACHE) and reused. Without them it skips, saying why — unless
 * OPENPREP_REQUIRE_SYSTEMD_BOOT=1 (CI, .ci/run), where it fails.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateCatalog } from '../src/sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../src/sim/default_election.ts';

const ROOT = path.join(import.meta.dirname, '..');
const RELEASE = 'bookworm';
const CACHE = process.env['OPENPREP_TEST_ROOTFS_CACHE'] ?? '/var/cache/openprep-test-rootfs';
const REQUIRED = process.env['OPENPREP_REQUIRE_SYSTEMD_BOOT'] === '1';
/** What the root holds beyond debootstrap's minimal base: systemd as init, and D-Bus. */
const PACKAGES = ['systemd', 'systemd-sysv', 'dbus'];
const APP = '/opt/openprep';
const NODE = `${APP}/node_modules/.bin/node`;
const CLI = `${APP}/bin/openprep.js`;
const KEY_NAME = 'openprep.PEF2024.simulacro';
const KEY = `/var/lib/openprep-signer/${KEY_NAME}.key`;
const SOCKET = '/run/openprep-signer/signer.sock';
const PORT = 8090;
/** In the order they are started (and stopped, the other way round). */
const UNITS = ['openprep-signer', 'openprep-serve', 'openprep-cut', 'openprep-agent'] as const;

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (killed past `timeoutMs`), with `input` on its standard input. */
function run(
  file: string,
  args: readonly string[],
  options: { readonly input?: string; readonly timeoutMs?: number } = {},
): Promise<Ran> {
  const child = spawn(file, args, {
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) {
    child.stdin!.on('error', () => undefined); // a command that does not read it
    child.stdin!.end(options.input);
  }
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The first Debian mirror apt is configured with (deb822 or one-line sources). */
async function debianMirror(): Promise<string> {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822 !== null) return deb822[1]!;
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+/m.exec(text);
    if (line !== null) return line[1]!;
  }
  return 'http://deb.debian.org/debian';
}

/** Why no container can be booted here, or null. */
async function whyNotBootable(): Promise<string | null> {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (systemd-nspawn needs it)';
  if ((await run('systemd-nspawn', ['--version'])).code !== 0)
    return 'systemd-nspawn is not installed (apt-get install systemd-container)';
  if (await exists(path.join(CACHE, RELEASE, '.openprep-complete'))) return null;
  if ((await run('debootstrap', ['--version'])).code !== 0)
    return `no cached root in ${CACHE}/${RELEASE} and debootstrap is not installed (apt-get install debootstrap)`;
  return null;
}

/**
 * The cached Debian root, made with debootstrap the first time (into a folder of its own, renamed
 * when complete: an interrupted run leaves no half root behind for the next).
 */
async function cachedRoot(): Promise<{ root: string; seconds: number } | string> {
  const root = path.join(CACHE, RELEASE);
  if (await exists(path.join(root, '.openprep-complete'))) return { root, seconds: 0 };
  const started = Date.now();
  await mkdir(CACHE, { recursive: true });
  const partial = `${root}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  const mirror = await debianMirror();
  const made = await run(
    'debootstrap',
    ['--variant=minbase', `--include=${PACKAGES.join(',')}`, RELEASE, partial, mirror],
    { timeoutMs: 900_000 },
  );
  if (made.code !== 0) {
    await rm(partial, { recursive: true, force: true });
    return `debootstrap ${RELEASE} from ${mirror} failed (${made.code}):\n${made.stderr.slice(-2000)}${made.stdout.slice(-2000)}`;
  }
  await writeFile(path.join(partial, '.openprep-complete'), `${mirror}\n`);
  if (await exists(path.join(root, '.openprep-complete'))) {
    // Another run made it meanwhile (and may be using it): keep theirs.
    await rm(partial, { recursive: true, force: true });
  } else {
    await rm(root, { recursive: true, force: true });
    await rename(partial, root);
  }
  return { root, seconds: (Date.now() - started) / 1000 };
}

/** The project's files as a release checkout would have them (tracked and new, not ignored). */
async function copyProject(into: string): Promise<void> {
  const listed = await run('git', [
    '-C',
    ROOT,
    'ls-files',
    '-z',
    '--cached',
    '--others',
    '--exclude-standard',
  ]);
  assert.equal(listed.code, 0, listed.stderr);
  for (const file of listed.stdout.split('\0')) {
    if (file === '' || file === 'node_modules') continue;
    const from = path.join(ROOT, file);
    if (!(await exists(from))) continue; // deleted in the working tree
    await cp(from, path.join(into, file), { recursive: true, verbatimSymlinks: true });
  }
  // Bind-mounted over from the host's installed node_modules (npm ci's result).
  await mkdir(path.join(into, 'node_modules'), { recursive: true });
}

interface Container {
  /** Runs a command inside, as root, in the container's namespaces, with a clean environment. */
  exec(
    args: readonly string[],
    options?: { readonly input?: string; readonly timeoutMs?: number },
  ): Promise<Ran>;
  /** Runs a bash script inside (set -euo pipefail); fails the test if it fails. */
  script(text: string, timeoutMs?: number): Promise<string>;
  /** Powers the container off (systemctl poweroff), killing it if it does not end. */
  stop(): Promise<void>;
}

/** The container's PID 1 (on the host's side): nspawn's child once it runs systemd. */
async function leaderOf(nspawn: ChildProcess, output: () => string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited (${nspawn.exitCode}):\n${output()}`);
    const children = await readFile(`/proc/${nspawn.pid}/task/${nspawn.pid}/children`, 'utf8').catch(
      () => '',
    );
    for (const pid of children.trim().split(/\s+/).filter(Boolean)) {
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'systemd') return Number(pid);
    }
    await sleep(100);
  }
  throw new Error(`systemd did not start in the container:\n${output()}`);
}

async function boot(root: string, app: string, name: string): Promise<Container> {
  const nodeModules = await realpath(path.join(ROOT, 'node_modules'));
  // --volatile=overlay: the cached root stays untouched, every write goes to a tmpfs over it.
  // --register=no --keep-unit: no systemd-machined on the host (it need not run systemd).
  // --private-network: only loopback inside; serve's port cannot clash with the host's.
  const nspawn = spawn(
    'systemd-nspawn',
    [
      `--directory=${root}`,
      `--machine=${name}`,
      '--volatile=overlay',
      '--register=no',
      '--keep-unit',
      '--private-network',
      '--console=pipe',
      `--bind=${app}:${APP}`,
      `--bind-ro=${nodeModules}:${APP}/node_modules`,
      '--boot',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  nspawn.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  nspawn.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => nspawn.once('exit', () => resolve()));
  const leader = await leaderOf(nspawn, () => output);
  const exec: Container['exec'] = (args, options = {}) =>
    run(
      'nsenter',
      [
        `--target=${leader}`,
        '--all',
        '--',
        'env',
        '-i',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'HOME=/root',
        'LANG=C.UTF-8',
        ...args,
      ],
      options,
    );
  const container: Container = {
    exec,
    async script(text, timeoutMs = 120_000) {
      const ran = await exec(['bash', '--norc', '--noprofile', '-euo', 'pipefail', '-c', text], {
        timeoutMs,
      });
      assert.equal(
        ran.code,
        0,
        `in the container:\n${text}\n-- exit ${ran.code}\n${ran.stdout}\n${ran.stderr}`,
      );
      return ran.stdout;
    },
    async stop() {
      if (nspawn.exitCode !== null) return;
      await exec(['systemctl', 'poweroff'], { timeoutMs: 10_000 });
      const killed = setTimeout(() => nspawn.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(killed);
    },
  };
  // Until systemd listens on its socket, systemctl cannot reach it ("Failed to connect to bus"),
  // or reaches it before the manager has begun booting and reads "offline" (seen on a loaded machine).
  let state = await exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: 120_000 });
  const notYet = () =>
    (state.stdout.trim() === '' && /connect to bus/.test(state.stderr)) || state.stdout.trim() === 'offline';
  for (let i = 0; i < 600 && notYet(); i++) {
    await sleep(100);
    state = await exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: 120_000 });
  }
  if (!/^(running|degraded)$/.test(state.stdout.trim())) {
    await container.stop();
    throw new Error(
      `the container's systemd did not come up (${state.code}: ${state.stdout.trim()} ${state.stderr.trim()}):\n${output}`,
    );
  }
  return container;
}

/**
 * The install commands of docs/deployment.md ("Packaging", "Install layout"), without those that
 * unpack and check the release tarball (they name `openprep-<version>` or the maintainers' keys):
 * the project is already laid out in /opt/openprep, as a development checkout with its
 * node_modules and dist/. An installed, attested release is started by
 * src/release/attested_release.test.ts.
 */
async function installCommands(): Promise<string> {
  const doc = await readFile(path.join(ROOT, 'docs', 'deployment.md'), 'utf8');
  const from = doc.indexOf('**Install layout.**');
  assert.ok(from >= 0, 'docs/deployment.md has no "Install layout" paragraph');
  const block = /```sh\n([\s\S]*?)```/.exec(doc.slice(from));
  assert.ok(block !== null, 'docs/deployment.md has no install block after "Install layout"');
  const lines = block[1]!
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !/^(git|npm)\s/.test(line))
    .filter((line) => !line.includes('<version>') && !line.includes('release-keys.txt'));
  assert.ok(
    lines.some((line) => line.startsWith('useradd')),
    'the install block makes no users',
  );
  return lines.join('\n');
}

/** A unit's properties (`systemctl show`). */
async function show(container: Container, unit: string): Promise<Map<string, string>> {
  const out = await container.script(`systemctl show ${unit}`);
  return new Map(
    out
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Polls `check` until it holds; fails with what `describe` says past `seconds`. */
async function waitFor(
  what: string,
  seconds: number,
  check: () => Promise<boolean>,
  describe: () => Promise<string>,
): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(500);
  }
  assert.fail(`${what}: not within ${seconds} s\n${await describe()}`);
}

/** A time span as `systemctl show` prints it ("30s", "2min", "1min 30s") in seconds. */
function seconds(span: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, min: 60, h: 3600 };
  const parts = span
    .trim()
    .split(/\s+/)
    .map((part) => /^([0-9.]+)(ms|s|min|h)$/.exec(part));
  assert.ok(parts.length > 0 && parts.every((part) => part !== null), `not a time span: ${span}`);
  return parts.reduce((sum, part) => sum + Number(part![1]) * units[part![2]!]!, 0);
}

const journal = (container: Container, unit: string) =>
  container.exec(['journalctl', '--no-pager', '-o', 'cat', '-u', unit]).then((r) => r.stdout + r.stderr);

test('the systemd units run under a real systemd (a booted container)', async (t) => {
  const why = await whyNotBootable();
  if (why !== null) {
    assert.ok(!REQUIRED, `OPENPREP_REQUIRE_SYSTEMD_BOOT=1 but no container can be booted: ${why}`);
    t.skip(`no container with systemd can be booted here: ${why}`);
    return;
  }
  const cached = await cachedRoot();
  if (typeof cached === 'string') {
    assert.ok(!REQUIRED, `OPENPREP_REQUIRE_SYSTEMD_BOOT=1 but the root cannot be made: ${cached}`);
    t.skip(`the Debian root cannot be made: ${cached}`);
    return;
  }
  if (cached.seconds > 0)
    t.diagnostic(`debootstrap ${RELEASE}: ${cached.seconds.toFixed(0)} s (cached for next runs)`);

  const work = await mkdtemp(path.join(CACHE, 'run-'));
  const app = path.join(work, 'openprep');
  const booted = Date.now();
  const container = await copyProject(app)
    .then(() => boot(cached.root, app, `openprep-test-${process.pid}`))
    .catch(async (error: unknown) => {
      await rm(work, { recursive: true, force: true });
      throw error;
    });
  t.diagnostic(`project copied and container booted in ${((Date.now() - booted) / 1000).toFixed(1)} s`);
  try {
    await t.test('installed as docs/deployment.md says', async () => {
      await container.script(`cd ${APP}\n${await installCommands()}`);
      const env = [
        `OPENPREP_SIGNER_SOCKET=${SOCKET}`,
        'OPENPREP_NODE_ID=node-a',
        'OPENPREP_HOST=127.0.0.1',
        `OPENPREP_PORT=${PORT}`,
        'OPENPREP_LOG_LEVEL=info',
      ].join('\n');
      // A drill: its key is <election>.simulacro, which the signer's ExecStart names through a
      // drop-in, as `systemctl edit openprep-signer` writes it.
      await container.script(`
        for f in serve cut; do
          printf '%s\\n' '${env.split('\n').join("' '")}' > /etc/openprep/$f.env
          chown root:openprep /etc/openprep/$f.env
          chmod 0640 /etc/openprep/$f.env
        done
        mkdir -p /etc/systemd/system/openprep-signer.service.d
        printf '[Service]\\nExecStart=\\nExecStart=${NODE} ${CLI} signer --key ${KEY} --socket ${SOCKET}\\n' \\
          > /etc/systemd/system/openprep-signer.service.d/override.conf
        systemctl daemon-reload
      `);
    });

    await t.test("the signer's key is made, then the signer runs as a service", async () => {
      // docs/deployment.md: once, as its user, before its first start; Ctrl-C once listening.
      await container.script(`
        install -d -m 750 -o openprep-signer -g openprep-signer /run/openprep-signer
        runuser -u openprep-signer -- ${NODE} ${CLI} signer --key ${KEY} --create-key --socket ${SOCKET} \\
          > /root/create-key.log 2>&1 &
        for _ in $(seq 1 600); do grep -q listening /root/create-key.log && break; sleep 0.1; done
        grep -q listening /root/create-key.log || { cat /root/create-key.log; exit 1; }
        kill -TERM $!   # runuser passes SIGTERM on (a terminal's Ctrl-C reaches Node itself)
        wait $! || true
        test -f ${KEY}
        systemctl enable --now openprep-signer
      `);
      await waitFor(
        'the signer listens',
        60,
        async () => (await container.exec(['test', '-S', SOCKET])).code === 0,
        () => journal(container, 'openprep-signer'),
      );
    });

    await t.test('an embedded center is made and served', async () => {
      await container.script(`
        runuser -u openprep -- ${NODE} ${CLI} catalog generate --scale tiny --seed 1 --out /var/lib/openprep/catalog.csv
        # docs/deployment.md: init writes the secrets key to copy to every node; serve loads it
        # as a systemd credential from /etc/openprep/secrets.key.
        install -d -m 750 -o openprep -g openprep /var/lib/openprep/etc
        runuser -u openprep -- bash -c 'set -a; . /etc/openprep/serve.env; set +a; \\
          OPENPREP_SECRETS_KEY_FILE=/var/lib/openprep/etc/secrets.key \\
          exec ${NODE} ${CLI} init --data /var/lib/openprep --mode simulacro --catalog /var/lib/openprep/catalog.csv'
        install -m 600 -o root -g root /var/lib/openprep/etc/secrets.key /etc/openprep/secrets.key
        systemctl enable --now openprep-serve
      `);
      const probe = (route: string) =>
        container.exec(
          [
            NODE,
            '-e',
            `fetch('http://127.0.0.1:${PORT}${route}').then(async (r) => { console.log(r.status, await r.text()); process.exit(r.ok ? 0 : 1); }, () => process.exit(1))`,
          ],
          { timeoutMs: 30_000 },
        );
      await waitFor(
        'serve answers /healthz',
        120,
        async () => (await probe('/healthz')).code === 0,
        () => journal(container, 'openprep-serve'),
      );
      await waitFor(
        'serve answers /readyz',
        60,
        async () => (await probe('/readyz')).code === 0,
        async () => `${(await probe('/readyz')).stdout}\n${await journal(container, 'openprep-serve')}`,
      );
    });

    await t.test('the cut builder publishes a signed cut', async () => {
      // The drill's clock (recorded in the store for every later command) a little before a
      // multiple of 5 minutes, an hour into publication: the first cut is due a few seconds on.
      const definition = defaultElectionDefinition(generateCatalog({ scale: 'tiny', seed: 1 }), {
        mode: 'simulacro',
      });
      const due = Math.ceil((Date.parse(definition.publicationStart) + 3_600_000) / 300_000) * 300_000;
      const start = new Date(due - 15_000).toISOString();
      await container.script(`
        mkdir -p /etc/systemd/system/openprep-cut.service.d
        printf '[Service]\\nExecStart=\\nExecStart=${NODE} ${CLI} cut --data /var/lib/openprep --every 5 --simulated-start ${start}\\n' \\
          > /etc/systemd/system/openprep-cut.service.d/override.conf
        systemctl daemon-reload
        systemctl enable --now openprep-cut
      `);
      await waitFor(
        'a cut is published',
        120,
        async () => /^cut \S+ #\d+/m.test(await journal(container, 'openprep-cut')),
        () => journal(container, 'openprep-cut'),
      );
      const folder = /^cut \S+ #\d+\S*: (\S+) /m.exec(await journal(container, 'openprep-cut'))?.[1];
      assert.ok(folder !== undefined);
      await container.script(
        `${NODE} ${CLI} verify ${folder} --key /var/lib/openprep-signer/${KEY_NAME}.pub --mode simulacro`,
      );
      // The signer logs each signature: the cut's statement among them.
      assert.match(await journal(container, 'openprep-signer'), /"what":"cut"/);
    });

    await t.test("a CATD's agent runs beside it (its unit: on a CATD's computer in production)", async () => {
      // docs/agent.md: `agent init` as the service's user into its data folder, the scanner's
      // folder outside /home, the election's public key from the signer.
      await container.script(`
        install -d -m 750 -o openprep -g openprep /var/lib/openprep-agent
        install -d -m 755 /srv/escaner
        install -m 644 /var/lib/openprep-signer/${KEY_NAME}.pub /etc/openprep/${KEY_NAME}.pub
        runuser -u openprep -- ${NODE} ${CLI} agent init --data /var/lib/openprep-agent --device-id CATD-01-S2 \\
          --watch /srv/escaner --center http://127.0.0.1:${PORT}/ --center-key /etc/openprep/${KEY_NAME}.pub
        systemctl enable --now openprep-agent
      `);
      await waitFor(
        'the agent writes its status',
        60,
        async () => (await container.exec(['test', '-s', '/var/lib/openprep-agent/status.json'])).code === 0,
        () => journal(container, 'openprep-agent'),
      );
    });

    await t.test('each unit is active, its main process the pinned Node itself', async () => {
      const node = (await container.script(`readlink -f ${NODE}`)).trim();
      for (const unit of UNITS) {
        const properties = await show(container, unit);
        assert.equal(properties.get('ActiveState'), 'active', `${unit}\n${await journal(container, unit)}`);
        const pid = properties.get('MainPID') ?? '0';
        assert.notEqual(pid, '0', unit);
        assert.equal((await container.script(`readlink /proc/${pid}/exe`)).trim(), node, unit);
        const argv = (await container.script(`tr '\\0' '\\n' < /proc/${pid}/cmdline`)).split('\n');
        assert.equal(argv[1], CLI, `${unit}: ${argv.join(' ')}`);
        // The hardening is in force on it: no new privileges, no capabilities, a seccomp filter.
        const status = await container.script(`cat /proc/${pid}/status`);
        assert.match(status, /^NoNewPrivs:\s+1$/m, unit);
        assert.match(status, /^CapEff:\s+0+$/m, unit);
        assert.match(status, /^Seccomp:\s+2$/m, unit);
      }
    });

    await t.test("serve cannot read the signer's key nor write outside its ReadWritePaths", async () => {
      const pid = (await show(container, 'openprep-serve')).get('MainPID') ?? '0';
      // In serve's own mount namespace (PrivateMounts=yes), as its user: the key's folder is
      // the signer's alone.
      const asServe = (command: string) =>
        container.exec([
          'nsenter',
          `--target=${pid}`,
          '--mount',
          '--',
          'setpriv',
          '--reuid=openprep',
          '--regid=openprep',
          '--init-groups',
          '--',
          'sh',
          '-c',
          command,
        ]);
      const list = await asServe('ls /var/lib/openprep-signer');
      assert.notEqual(list.code, 0, list.stdout);
      assert.match(list.stderr, /Permission denied/);
      const key = await asServe(`cat ${KEY}`);
      assert.notEqual(key.code, 0);
      // Even as root, what serve sees is read-only outside /var/lib/openprep (ProtectSystem=strict).
      const asRoot = (command: string) =>
        container.exec(['nsenter', `--target=${pid}`, '--mount', '--', 'sh', '-c', command]);
      for (const folder of [APP, '/etc/openprep', '/usr/local', '/var/lib', '/var/lib/openprep-signer']) {
        const write = await asRoot(`touch ${folder}/.write-probe`);
        assert.notEqual(write.code, 0, `serve could write in ${folder}`);
        assert.match(write.stderr, /Read-only file system/, folder);
      }
      const data = await asServe('touch /var/lib/openprep/.write-probe && rm /var/lib/openprep/.write-probe');
      assert.equal(data.code, 0, data.stderr);
    });

    if (process.env['OPENPREP_SYSTEMD_BOOT_JOURNAL'] !== undefined)
      await writeFile(
        process.env['OPENPREP_SYSTEMD_BOOT_JOURNAL'],
        (await container.exec(['journalctl', '--no-pager', '-b'])).stdout,
      );

    await t.test(
      'nothing was refused: no EPERM from the system call filter, no read-only write',
      async () => {
        for (const unit of UNITS) {
          const text = await journal(container, unit);
          assert.doesNotMatch(
            text,
            /EPERM|EACCES|EROFS|not permitted|read-only file system/i,
            `${unit}:\n${text}`,
          );
        }
      },
    );

    await t.test('systemctl stop ends each within its TimeoutStopSec, cleanly', async () => {
      for (const unit of [...UNITS].reverse()) {
        const timeout = seconds((await show(container, unit)).get('TimeoutStopUSec') ?? '');
        const started = Date.now();
        await container.script(`systemctl stop ${unit}`, 300_000);
        const took = (Date.now() - started) / 1000;
        t.diagnostic(`${unit} stopped in ${took.toFixed(1)} s`);
        const after = await show(container, unit);
        assert.equal(after.get('ActiveState'), 'inactive', unit);
        assert.equal(after.get('Result'), 'success', `${unit}\n${await journal(container, unit)}`);
        // Ended by its own exit on SIGTERM, not killed when TimeoutStopSec ran out.
        assert.doesNotMatch(await journal(container, unit), /timed out|SIGKILL/, unit);
        assert.ok(took < timeout, `${unit}: ${took} s, TimeoutStopSec ${timeout} s`);
      }
    });
  } finally {
    await container.stop();
    await rm(work, { recursive: true, force: true });
  }
});
