// The demo's phone call, placed with `voicebridge call`'s softphone: waits for the greeting, says each line of the
// script in the simulator's synthetic speech (audio that carries the line's UTF-8 text, which the simulator reads
// back as its transcription), waits for the agent's whole reply, and hangs up after the last one. What the caller
// hears is printed in words: the simulator's synthetic voice can be read back.
import { phrasesInVoice, speechAudio } from '../simulator/fake-audio.js';
import { CallNarration } from '../softphone/call-narration.js';
import { placeCall } from '../softphone/place-call.js';

export interface DemoCallOptions {
  serverUrl: string;
  voiceUrl: string;
  authToken: string;
  accountSid: string;
  to: string;
  script: readonly string[];
  print: (line: string) => void;
}

export interface DemoCallResult {
  turns: number;
  /** Seconds of agent audio the caller heard. */
  heardSeconds: number;
}

/** The agent has finished a reply when nothing has played or arrived for this long. */
const QUIET_MS = 300;
const REPLY_TIMEOUT_MS = 10_000;

export async function placeDemoCall(options: DemoCallOptions): Promise<DemoCallResult> {
  const { stream } = await placeCall({
    serverUrl: options.serverUrl,
    voiceUrl: options.voiceUrl,
    authToken: options.authToken,
    accountSid: options.accountSid,
    to: options.to,
  });
  const narration = new CallNarration(stream, { print: options.print, wordsIn: (audio) => phrasesInVoice(audio).join(' ') || undefined });
  try {
    const waitForReply = async (what: string): Promise<void> => {
      const heard = narration.marksPlayed.length;
      if (!(await stream.waitFor(() => narration.marksPlayed.length > heard, REPLY_TIMEOUT_MS))) {
        throw new Error(`the caller never heard ${what} (within ${REPLY_TIMEOUT_MS / 1000} s${stream.closed ? '; the bridge ended the call' : ''})`);
      }
      await stream.waitUntilQuiet(QUIET_MS, REPLY_TIMEOUT_MS);
    };
    await waitForReply('the greeting');
    for (const line of options.script) {
      narration.print(`caller says: "${line}" (simulated speech)`);
      await stream.say(speechAudio(line));
      await waitForReply(`a reply to "${line}"`);
    }
    await stream.hangUp();
    narration.print('caller hung up');
    return { turns: options.script.length, heardSeconds: narration.heardAudio().length / 8000 };
  } finally {
    if (!stream.closed) stream.drop();
  }
}
