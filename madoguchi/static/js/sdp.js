// Small edits to a session description before it is sent (the packet time, never in our own local description) or
// before we set it (the DTLS role of the console's answer).
//
// Why: on a 48 kbit/s link a voice call in 20 ms packets spends more on packet headers (about 26 kbit/s each way
// with SRTP) than on the voice itself. `a=ptime` in a description asks the *other* side to send that many
// milliseconds per packet (Chromium's Opus sender honours the remote description's ptime: 60 ms is a third of the
// packets). The ladder asks for it at its voice and chat steps; RTCRtpSender.setParameters has no ptime in
// Chromium (`adaptivePtime` alone changes nothing without the network adaptor), so a renegotiation carries it.

/** The payload types of Opus in `sdp`. */
function opusTypes(sdp) {
  const types = [];
  for (const match of sdp.matchAll(/^a=rtpmap:(\d+) opus\/48000/gim)) types.push(match[1]);
  return types;
}

/**
 * `sdp` with every audio section asking for `ms` per packet (`a=ptime`), or with no ptime line when `ms` is
 * null (the sender's default, 20 ms). Sections without Opus, and the video sections, are left as they are.
 */
export function withPacketTime(sdp, ms) {
  if (ms !== null && !(Number.isInteger(ms) && ms >= 10 && ms <= 120)) throw new Error(`bad packet time ${ms}`);
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const sections = sdp.split(/(?=^m=)/m);
  return sections
    .map((section) => {
      if (!section.startsWith("m=audio") || !opusTypes(section).length) return section;
      const lines = section.split(eol).filter((line) => !line.startsWith("a=ptime:"));
      if (ms !== null) {
        const ending = lines[lines.length - 1] === "" ? 1 : 0; // keep the section's last line break
        lines.splice(lines.length - ending, 0, `a=ptime:${ms}`);
      }
      return lines.join(eol);
    })
    .join("");
}

/** The packet time a description asks for (null: none named). */
export function packetTimeOf(sdp) {
  const match = /^a=ptime:(\d+)/m.exec(sdp);
  return match ? Number(match[1]) : null;
}

/**
 * Our answer with the DTLS server's role (`a=setup:passive` where the browser chose `active`), so that the other
 * side (the offerer) starts the handshake. Why: when the booth offers first it is also ICE's controlling side, its
 * checks succeed first, and it sends its ClientHello on a path that works. With the console as the DTLS client,
 * DTLS took 1.1-1.3 s after ICE at 300 ms RTT (against ~0.35 s with the booth as client; most likely its first
 * ClientHello was lost before the booth's TURN permission was in place, and the backed-off retransmission came
 * late). Legal for any answer to an `actpass` offer, which every browser's offer is.
 */
export function asDtlsServer(sdp) {
  return sdp.replace(/^a=setup:active(?=\r?$)/gm, "a=setup:passive");
}
