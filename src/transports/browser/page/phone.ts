// The browser phone page: Call asks for the microphone, opens the call socket with the token from the URL's fragment,
// streams the capture worklet's 20 ms μ-law frames to serve and plays what comes back through the playback worklet,
// echoing its marks so the bridge knows what was heard. The conversation shows as it happens. Hang up ends the call.
// The message shapes are those of ../phone-protocol.ts.

type ServerMessage =
  | { type: 'started'; call: string }
  | { type: 'mark'; name: string }
  | { type: 'clear' }
  | { type: 'caller'; text: string }
  | { type: 'agent'; id: string; text: string }
  | { type: 'interrupted'; id: string }
  | { type: 'transfer'; destination: string }
  | { type: 'ended'; reason: string };

interface Call {
  socket: WebSocket;
  context: AudioContext;
  microphone: MediaStream;
  ended: boolean;
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const callButton = element<HTMLButtonElement>('call');
const hangUpButton = element<HTMLButtonElement>('hangup');
const level = element<HTMLMeterElement>('level');
const statusLine = element<HTMLParagraphElement>('status');
const transcript = element<HTMLOListElement>('transcript');
const played = element<HTMLSpanElement>('played');
let call: Call | undefined;

function setStatus(text: string, state: string): void {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function addLine(kind: 'caller' | 'agent' | 'event', text: string, id?: string): void {
  const item = document.createElement('li');
  item.className = kind;
  item.textContent = kind === 'caller' ? `You: ${text}` : kind === 'agent' ? `Agent: ${text}` : text;
  if (id !== undefined) item.dataset.speech = id;
  transcript.append(item);
  item.scrollIntoView({ block: 'nearest' });
}

function markInterrupted(id: string): void {
  for (const item of transcript.querySelectorAll<HTMLLIElement>('li.agent')) {
    if (item.dataset.speech === id) item.classList.add('interrupted');
  }
}

async function startCall(): Promise<void> {
  const token = decodeURIComponent(location.hash.slice(1));
  if (!token) {
    setStatus('This page needs its token: open the URL voicebridge serve printed, with its #… part.', 'error');
    return;
  }
  // Browsers give the microphone only to secure pages: https, or this machine's own address. Opened from another
  // machine over http (serve --host 0.0.0.0), the page would otherwise fail with a bare TypeError.
  if (!window.isSecureContext || navigator.mediaDevices === undefined) {
    setStatus(
      'The browser gives the microphone only to pages on https or on this machine (http://127.0.0.1, http://localhost): open the page on the machine voicebridge serve runs on, or reach it over https.',
      'error',
    );
    return;
  }
  callButton.disabled = true;
  setStatus('Asking for the microphone…', 'connecting');
  const context = new AudioContext();
  let microphone: MediaStream;
  try {
    microphone = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 } });
    await context.audioWorklet.addModule('/phone/capture-worklet.js');
    await context.audioWorklet.addModule('/phone/playback-worklet.js');
    await context.resume();
  } catch (error) {
    await context.close();
    callButton.disabled = false;
    setStatus(`No microphone: ${(error as Error).message}`, 'error');
    return;
  }
  const capture = new AudioWorkletNode(context, 'voicebridge-capture', { numberOfInputs: 1, numberOfOutputs: 1 });
  const playback = new AudioWorkletNode(context, 'voicebridge-playback', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
  // The capture node has to reach the destination to be run; at zero gain it adds nothing to what is heard.
  const mute = new GainNode(context, { gain: 0 });
  context.createMediaStreamSource(microphone).connect(capture).connect(mute).connect(context.destination);
  playback.connect(context.destination);

  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/phone/socket`, ['voicebridge-phone', `token.${token}`]);
  socket.binaryType = 'arraybuffer';
  const current: Call = { socket, context, microphone, ended: false };
  call = current;
  setStatus('Connecting…', 'connecting');

  capture.port.onmessage = (event: MessageEvent<{ frame: ArrayBuffer; level: number }>) => {
    level.value = Math.min(1, event.data.level * 4);
    if (socket.readyState === WebSocket.OPEN) socket.send(event.data.frame);
  };
  playback.port.onmessage = (event: MessageEvent<{ mark?: string; played?: number }>) => {
    if (event.data.mark !== undefined && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'mark', name: event.data.mark }));
    if (event.data.played !== undefined) {
      played.textContent = String(event.data.played);
      document.body.dataset.playedFrames = String(event.data.played);
    }
  };
  socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
    if (typeof event.data !== 'string') {
      playback.port.postMessage({ type: 'audio', bytes: event.data }, [event.data]);
      return;
    }
    const message = JSON.parse(event.data) as ServerMessage;
    switch (message.type) {
      case 'started':
        hangUpButton.disabled = false;
        setStatus('Connected: say something.', 'connected');
        return;
      case 'mark':
        playback.port.postMessage({ type: 'mark', name: message.name });
        return;
      case 'clear':
        playback.port.postMessage({ type: 'clear' });
        return;
      case 'caller':
        addLine('caller', message.text);
        return;
      case 'agent':
        addLine('agent', message.text, message.id);
        return;
      case 'interrupted':
        markInterrupted(message.id);
        addLine('event', 'You interrupted the agent.');
        return;
      case 'transfer':
        addLine('event', `The agent transferred the call to ${message.destination}.`);
        return;
      case 'ended':
        addLine('event', message.reason);
        current.ended = true;
        setStatus(`Call ended: ${message.reason}`, 'ended');
        return;
    }
  };
  socket.onclose = (event) => {
    if (!current.ended) {
      if (event.code === 1000) setStatus('Call ended.', 'ended');
      else setStatus(`The call could not go on: the connection closed${event.reason ? ` (${event.reason})` : ''}. Is voicebridge serve --phone still running, and is this its latest URL?`, 'error');
    }
    current.ended = true;
    void finish(current);
  };
}

async function finish(ended: Call): Promise<void> {
  for (const track of ended.microphone.getTracks()) track.stop();
  await ended.context.close();
  if (call === ended) call = undefined;
  level.value = 0;
  callButton.disabled = false;
  hangUpButton.disabled = true;
}

function hangUp(): void {
  if (!call) return;
  const { socket } = call;
  call.ended = true;
  setStatus('Call ended: you hung up.', 'ended');
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'hangup' }));
  socket.close(1000, 'hung up');
}

callButton.addEventListener('click', () => void startCall());
hangUpButton.addEventListener('click', hangUp);
