// Starts a real fieldsync server for the end-to-end suites (e2e/*): the binary in $FIELDSYNC_BIN
// (or one built here with `go build`), on a temporary data directory (embedded SQLite and
// object store), on a loopback port the kernel picks. The suite's accounts are created first
// with the admin CLI before the server starts. Node built-ins only, so that every suite can import it by its path.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Fast password hashing: these tests sign in often and check nothing about bcrypt. (An
// environment variable, as the admin CLI refuses every flag that starts with --password.)
const env = { FIELDSYNC_PASSWORD_COST: '4' };

/** run executes a command and resolves with its stdout; it rejects with its output on failure. */
function run(cmd, args, { cwd, env, input, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { err += b; });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}:\n${out}${err}`));
    });
    child.stdin.on('error', () => {}); // a command that exits without reading its input
    child.stdin.end(input ?? '');
  });
}

/** binary returns $FIELDSYNC_BIN, or builds the server into dir. */
async function binary(dir) {
  if (process.env.FIELDSYNC_BIN) return process.env.FIELDSYNC_BIN;
  const bin = path.join(dir, 'fieldsync');
  await run('go', ['build', '-o', bin, './cmd/fieldsync'],
    { cwd: repoRoot, env: { CGO_ENABLED: '0' } });
  return bin;
}

/**
 * startServer runs setup(admin) — admin(args, input) runs `fieldsync admin <args>` on the data
 * directory with input on stdin — then starts the server and waits until /readyz answers 200.
 * It resolves with {url, stop, logs} plus what setup resolved with; stop() kills the server and
 * removes its data. On any failure it cleans up before rejecting. name labels the temp directory.
 */
export async function startServer(name, setup) {
  const work = await mkdtemp(path.join(tmpdir(), `fieldsync-e2e-${name}-`));
  const dataDir = path.join(work, 'data');
  let child;
  let logs = '';
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(work, { recursive: true, force: true });
  };
  try {
    const bin = await binary(work);
    const admin = (args, input) => run(bin, ['admin', '--data-dir', dataDir, ...args], { input, env });
    const extra = (await setup(admin)) ?? {};

    child = spawn(bin, ['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--log-level', 'info'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    // A test runner that dies must not leave the server behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const addr = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not listen within 60 s:\n${logs}`)), 60_000);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${logs}`)); });
      let found = false;
      child.stderr.on('data', (b) => {
        logs += b;
        if (found) return;
        for (const line of logs.split('\n')) {
          try {
            const entry = JSON.parse(line);
            if (entry.msg === 'fieldsync listening') {
              found = true;
              clearTimeout(timer);
              resolve(entry.addr);
            }
          } catch { /* a partial or non-JSON line */ }
        }
      });
    });
    const url = `http://${addr}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`${url}/readyz`).catch(() => null);
      if (res?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`server not ready within 30 s:\n${logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { ...extra, url, stop, logs: () => logs };
  } catch (err) {
    await stop();
    throw err;
  }
}
