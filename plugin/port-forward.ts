// A local port that forwards each TCP connection to a pod's port through the API server's pod
// port-forward (client-node's PortForward: one WebSocket per connection), like
// `kubectl port-forward pod/P PORT`. Listens on 127.0.0.1 only.
import { createServer, type Server, type Socket } from 'node:net';
import { type KubeConfig, PortForward } from '@kubernetes/client-node';

export interface LocalForward {
  /** `http://127.0.0.1:<local port>`. */
  readonly url: string;
  close(): Promise<void>;
}

export async function forwardToPod(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  port: number,
  onError: (error: Error) => void = () => {},
): Promise<LocalForward> {
  const forward = new PortForward(kc);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    forward
      .portForward(namespace, pod, [port], socket, null, socket)
      .then((ws) => {
        if (typeof ws === 'function') return;
        ws.on('close', () => socket.end());
        ws.on('error', () => socket.destroy());
        socket.on('close', () => ws.close());
      })
      .catch((error: Error) => {
        onError(new Error(`port-forward to pod ${namespace}/${pod}:${port} failed: ${error.message}`));
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const local = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${local}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
