// The benchmark's floor: the least a Twilio ↔ Realtime relay can do, run as its own process like the bridge. Each
// Twilio frame is parsed and its audio forwarded as input_audio_buffer.append; each Realtime event is parsed and an
// audio delta forwarded as a Twilio media frame. No signatures, tokens, pre-warm, turn-taking, agent or logging:
// what is left is the cost of two WebSockets and JSON, which the bridge is compared against.
// Environment: BENCH_REALTIME_URL (ws://127.0.0.1:…/v1/realtime), BENCH_OPENAI_KEY. Prints {"port":…} when listening.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

const realtimeUrl = process.env.BENCH_REALTIME_URL ?? '';
const apiKey = process.env.BENCH_OPENAI_KEY ?? '';
const TWIML =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://bench.voicebridge.test/media-stream">' +
  '<Parameter name="token" value="none"/></Stream></Connect></Response>';

const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(TWIML);
  });
});

server.on('upgrade', (request, socket, head) => {
  sockets.handleUpgrade(request, socket, head, (twilioSocket) => relay(twilioSocket));
});

function relay(twilioSocket: WebSocket): void {
  let streamSid = '';
  let realtime: WebSocket | undefined;
  twilioSocket.on('error', () => twilioSocket.terminate());
  twilioSocket.on('close', () => realtime?.terminate());
  twilioSocket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { event: string; streamSid?: string; media?: { payload: string } };
    switch (frame.event) {
      case 'start': {
        streamSid = frame.streamSid ?? '';
        const socket = new WebSocket(realtimeUrl, { headers: { Authorization: `Bearer ${apiKey}` }, perMessageDeflate: false });
        realtime = socket;
        socket.on('error', () => twilioSocket.terminate());
        socket.on('open', () => {
          socket.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'] } }));
          socket.send(JSON.stringify({ type: 'response.create', response: { conversation: 'none', input: [], output_modalities: ['audio'] } }));
        });
        socket.on('message', (event) => {
          const parsed = JSON.parse(event.toString()) as { type: string; delta?: string };
          if (parsed.type === 'response.output_audio.delta' && twilioSocket.readyState === WebSocket.OPEN) {
            twilioSocket.send(JSON.stringify({ event: 'media', streamSid, media: { payload: parsed.delta } }));
          }
        });
        return;
      }
      case 'media':
        if (realtime?.readyState === WebSocket.OPEN) realtime.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: frame.media?.payload }));
        return;
      case 'stop':
        realtime?.close();
        twilioSocket.close();
        return;
      default:
        return;
    }
  });
}

server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => process.exit(0));
