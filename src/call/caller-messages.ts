// Everything the bridge itself says to a caller (as opposed to the agent): short, polite, and never silent about a
// problem. Spoken by the call's voice when it works, or by Twilio's own voice (<Say>) when it does not.

/** After one failed turn of the agent: the call goes on. */
export const DEFAULT_APOLOGY = "I'm sorry, I'm having trouble answering right now. Could you say that again in a moment?";

/** The caller spoke, but the words could not be made out. */
export const NOT_UNDERSTOOD = "Sorry, I didn't catch that. Could you say it again?";

/** The agent failed several turns in a row and no transfer number is set: the call ends after this. */
export const AGENT_GOODBYE = "I'm sorry, I can't help you right now. Please call again a little later. Goodbye.";

/** The agent failed several turns in a row: said before the call is handed to TRANSFER_NUMBER. */
export const AGENT_TRANSFER = "I'm sorry, I'm having trouble helping you. Let me put you through to a colleague.";

/** The call's voice connection failed and could not be regained (said by Twilio), before the call ends. */
export const VOICE_FAILED_GOODBYE = "Sorry, we're having technical difficulties and have to end this call. Please call again in a few minutes. Goodbye.";

/** The call's voice connection failed and could not be regained (said by Twilio), before a transfer. */
export const VOICE_FAILED_TRANSFER = "Sorry, we're having technical difficulties. Let me put you through to a colleague.";

/** Said by Twilio when a call is turned away: MAX_CALLS reached, or the server is stopping. */
export const LINES_BUSY = 'Sorry, all our lines are busy right now. Please call again in a few minutes. Goodbye.';

/** Said by Twilio's own voice once the agent's reply has been heard, as the call is handed to a person. */
export const AGENT_TRANSFERRING = 'Transferring your call now. Please hold.';

/** The agent asked for a transfer and it could not be made: the call goes on with the agent. */
export const NOT_TRANSFERRED = "I'm sorry, I couldn't put you through right now.";

/** A function of the agent's own is taking a while: said once, so the caller is not left in silence. */
export const ONE_MOMENT = 'One moment, please.';
