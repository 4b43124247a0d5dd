// PLACEHOLDER owned by the HTTP engine work: replaced by the real HTTP session (keep-alive,
// analysers, forwarding). Until then an http-mode connection is closed at once.
import type { SessionHandler } from '../runtime/types.js';

export const acceptHttpSession: SessionHandler = (proxy, socket) => {
  void proxy;
  socket.destroy();
};
