// The names of the Socket.IO events the pages send and receive, in one place.
//
// Why: an event name is a contract with the server (the namespaces in madoguchi/signaling/*_socket.py and
// madoguchi/resident_chat/resident_socket.py, explained in docs/protocol.md). Spelled out in every page script, a typo
// is an event nobody handles and nothing says so; here a unit test (tests/unit/test_js_events.py) checks every
// name against docs/protocol.md and the server's code, and that no page script spells an event name itself.
// Socket.IO's own "connect", "disconnect" and "connect_error" are the client library's, not the protocol's, and
// are not listed.

/** Client → server; every one is sent with an acknowledgement (request() in net.js). */
export const SEND = Object.freeze({
  AGENT_STATUS: "agent.status",
  CALLBACK_REQUEST: "callback.request",
  CALLBACK_WITHDRAW: "callback.withdraw",
  BOOKING_START: "booking.start",
  CALL_QUALITY: "call.quality",
  CHAT_SEND: "chat.send",
  CONSULTATION_CANCEL: "consultation.cancel",
  CONSULTATION_END: "consultation.end",
  CONSULTATION_JOIN: "consultation.join",
  CONSULTATION_LEAVE: "consultation.leave",
  INTERPRETER_DECLINE: "interpreter.decline",
  INTERPRETER_INVITE: "interpreter.invite",
  INTERPRETER_OPTIONS: "interpreter.options",
  CONSULTATION_TRANSFER: "consultation.transfer",
  TRANSFER_OPTIONS: "transfer.options",
  CSAT_SUBMIT: "csat.submit",
  CONSULTATION_REQUEST: "consultation.request",
  HANDOFF_REQUEST: "handoff.request",
  OFFER_ACCEPT: "offer.accept",
  OFFER_DECLINE: "offer.decline",
  RINGING_OFFER: "ringing.offer",
  SELFTEST_ECHO: "selftest.echo",
  SELFTEST_REPORT: "selftest.report",
  SELFTEST_SERVERS: "selftest.servers",
  HOURS_GET: "hours.get",
  QUESTION_ANSWERED: "question.answered",
  SIGNAL: "signal",
  SUGGESTION_CHOOSE: "suggestion.choose",
  TRIAGE_PREVIEW: "triage.preview",
  VIDEO_ACCEPT: "video.accept",
  VIDEO_DECLINE: "video.decline",
  VIDEO_INVITE: "video.invite",
  SUPERVISOR_ASSIGN: "supervisor.assign",
  SUPERVISOR_BOOTHS: "supervisor.booths",
  SUPERVISOR_MOVE_ROUTE: "supervisor.move_route",
  SUPERVISOR_RESYNC: "supervisor.resync",
  SUPERVISOR_SET_AWAY: "supervisor.set_away",
  WRAPUP_SUBMIT: "wrapup.submit",
});

/** Server → client. */
export const RECEIVE = Object.freeze({
  ACCESS_REVOKED: "access.revoked",
  AGENT_STATE: "agent.state",
  BOOTH_STATE: "booth.state",
  CALL_COMING: "call.coming",
  CALL_END: "call.end",
  CALL_START: "call.start",
  CHAT_MESSAGE: "chat.message",
  CHAT_REDACT: "chat.redact",
  CONSULTATION_CLOSED: "consultation.closed",
  CONSULTATION_NEXT_STEP: "consultation.next_step",
  INTERPRETER_CALLED: "interpreter.called",
  INTERPRETER_DECLINED: "interpreter.declined",
  INTERPRETER_INVITE: "interpreter.invite",
  INTERPRETER_WITHDRAWN: "interpreter.withdrawn",
  OFFER: "offer",
  OFFER_WITHDRAWN: "offer.withdrawn",
  PARTICIPANT_JOINED: "participant.joined",
  PARTICIPANT_LEFT: "participant.left",
  PEER_LINK: "peer.link",
  QUEUE_POSITION: "queue.position",
  QUEUE_SNAPSHOT: "queue.snapshot",
  RESIDENT_STATE: "resident.state",
  RINGING_OFFER: "ringing.offer",
  SIGNAL: "signal",
  SUPERVISOR_DELTA: "supervisor.delta",
  SUPERVISOR_SNAPSHOT: "supervisor.snapshot",
  VIDEO_ANSWER: "video.answer",
  VIDEO_INVITE: "video.invite",
});
