// Chooses the voice engine for the configuration (VOICE_ENGINE: OpenAI Realtime or GPT-Live). The rest of the bridge
// only ever sees a VoiceEngineFactory.
import type { Config } from '../config/config.js';
import { cleanId } from '../knowledge/openai-ids.js';
import { LiveVoiceEngine } from './live-voice-engine.js';
import { RealtimeVoiceEngine } from './realtime-voice-engine.js';
import type { VoiceEngineFactory } from './voice-engine.js';

export function voiceEngineFactoryFor(config: Config): VoiceEngineFactory {
  const apiKey = cleanId(config.openai.apiKey ?? '');
  if (config.openai.voiceEngine === 'live') {
    return ({ log }) => new LiveVoiceEngine({ apiKey, baseURL: config.openai.baseURL, voice: config.openai.voice, log });
  }
  return ({ log }) =>
    new RealtimeVoiceEngine({
      apiKey,
      baseURL: config.openai.baseURL,
      model: config.openai.realtimeModel,
      transcribeModel: config.openai.transcribeModel,
      voice: config.openai.voice,
      log,
    });
}
