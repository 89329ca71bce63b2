// Request/answer over a child process's IPC channel: call(child, {cmd, ...}) resolves with the reply
// carrying the same id; serve(handlers) answers in the child. Errors travel as { error }.
import type { ChildProcess } from 'node:child_process';

type Msg = { id?: number; cmd?: string; error?: string; [k: string]: unknown };
let nextId = 1;

export function call<T = Record<string, unknown>>(child: ChildProcess, msg: Msg, timeoutMs = 300_000): Promise<T> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.off('message', on); reject(new Error(`${msg.cmd}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    const on = (m: Msg) => {
      if (m.id !== id) return;
      clearTimeout(timer);
      child.off('message', on);
      child.off('exit', onExit);
      if (m.error) reject(new Error(`${msg.cmd}: ${m.error}`));
      else resolve(m as T);
    };
    const onExit = (code: number | null) => { clearTimeout(timer); child.off('message', on); reject(new Error(`${msg.cmd}: child exited (${code})`)); };
    child.on('message', on);
    child.once('exit', onExit);
    child.send({ ...msg, id });
  });
}

export function serve(handlers: Record<string, (m: Msg) => Promise<Record<string, unknown>> | Record<string, unknown>>): void {
  process.on('disconnect', () => process.exit(0)); // the benchmark is gone: do not linger
  process.on('message', (m: Msg) => {
    const h = handlers[m.cmd ?? ''];
    Promise.resolve()
      .then(() => (h ? h(m) : Promise.reject(new Error(`unknown command ${m.cmd}`))))
      .then((r) => process.send!({ ...r, id: m.id }), (err: Error) => process.send!({ id: m.id, error: err.message }));
  });
}
