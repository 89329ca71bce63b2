// Every place the server reaches into engine.io's internals (engine.io 6.6, under socket.io 4.8.4,
// pinned exactly in server/package.json): how much a client has waiting, whether its transport can
// take more, and ending its connection without a close handshake. Each has a test in
// engine-io.test.ts that fails if an upgrade changes what it relies on.
import type { Socket } from 'socket.io';

type Conn = Socket['conn'];
interface ConnInternals { writeBuffer: unknown[]; transport: { writable: boolean; socket?: { terminate?: () => void } } }

/** Packets engine.io holds for the client, not yet handed to its transport. */
export function waitingPackets(conn: Conn): number {
  return (conn as unknown as ConnInternals).writeBuffer.length;
}

/** Whether the transport takes a write now (false while the previous one is still being written). */
export function transportWritable(conn: Conn): boolean {
  return (conn as unknown as ConnInternals).transport.writable;
}

/** Ends a websocket connection at once (no close handshake: for a client that does not read). */
export function terminate(conn: Conn): void {
  (conn as unknown as ConnInternals).transport.socket?.terminate?.();
}
