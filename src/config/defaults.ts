// Default values for every setting, in one place. Models here must have no announced shutdown date.

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_TWILIO_API_BASE_URL = 'https://api.twilio.com';
export const DEFAULT_PORT = 5000;
export const DEFAULT_REALTIME_MODEL = 'gpt-realtime-2.1';
export const DEFAULT_TRANSCRIBE_MODEL = 'gpt-transcribe';
/** The agent's model: the fast tier of the current family, because a phone caller waits for every token. */
export const DEFAULT_ASSISTANT_MODEL = 'gpt-6-luna';
export const DEFAULT_VOICE = 'marin';
/** Which voice engine calls use: OpenAI Realtime until GPT-Live is available to every key. */
export const VOICE_ENGINES = ['realtime', 'live'] as const;
export type VoiceEngineName = (typeof VOICE_ENGINES)[number];
export const DEFAULT_VOICE_ENGINE: VoiceEngineName = 'realtime';
/** The GPT-Live model VOICE_ENGINE=live speaks with. */
export const DEFAULT_LIVE_MODEL = 'gpt-live-1';
export const DEFAULT_GREETING = 'Hello! Thanks for calling. How can I help you today?';
export const DEFAULT_ENV_FILE = '.env';
/** How long the agent may stay silent on a turn before the caller hears an apology. */
export const DEFAULT_AGENT_TIMEOUT_MS = 10_000;
/**
 * How long a stopping server lets calls in progress finish. Below Kubernetes' default 30 s grace period, so the
 * calls are closed by us, cleanly, before the orchestrator's SIGKILL.
 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;
/**
 * How long a call opened ahead by its webhook waits for Twilio's media stream before its connections are released.
 * Twilio opens the stream within a second or two of the webhook; 0 turns pre-warming off.
 */
export const DEFAULT_PREWARM_TIMEOUT_MS = 15_000;
/**
 * How long TOOLS_URL may take to answer one of the agent's function calls. The caller hears silence meanwhile, so it
 * stays under the agent's own turn deadline (DEFAULT_AGENT_TIMEOUT_MS).
 */
export const DEFAULT_TOOL_TIMEOUT_MS = 8_000;
/** How calls reach serve: Twilio Media Streams through this process, or OpenAI's own SIP endpoint (no audio through us). */
export const TRANSPORTS = ['media-streams', 'sip'] as const;
export type TransportName = (typeof TRANSPORTS)[number];
export const DEFAULT_TRANSPORT: TransportName = 'media-streams';
/** Most outbound calls placed in any minute: a runaway script or a leaked key cannot dial faster. */
export const DEFAULT_DIAL_RATE_PER_MINUTE = 10;
