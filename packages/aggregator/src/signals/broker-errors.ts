/**
 * A broker failure in words the user can act on. mqtt.js reports TLS problems with Node's error
 * codes and refused CONNECTs with the MQTT 3.1.1 return code (§3.2.2.3); both are named here.
 */
const TLS_CODES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the broker's certificate is not signed by the configured CA",
  SELF_SIGNED_CERT_IN_CHAIN: "the broker's certificate chain ends in a CA that is not the configured one",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the broker's certificate is self-signed and not the configured CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the broker's certificate issuer is not the configured CA",
  CERT_HAS_EXPIRED: "the broker's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the broker's certificate does not name this host",
  ERR_SSL_WRONG_VERSION_NUMBER: 'the port does not speak TLS (mqtts:// to a plain listener?)',
  EPROTO: 'the TLS handshake failed',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the broker requires a client certificate (cert and key)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the broker rejected the client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: "the broker does not trust the client certificate's CA",
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    'the TLS handshake failed (no common cipher or protocol, or a client certificate is needed)',
};

const CONNACK_CODES: Record<number, string> = {
  1: 'the broker refused the connection: unacceptable protocol version (code 1)',
  2: 'the broker refused the client id (code 2)',
  3: 'the broker is unavailable (code 3)',
  4: 'the broker refused the username or password (code 4)',
  5: 'the broker refused the connection: not authorised (code 5)',
};

/** What the client presented, to word a refusal: Mosquitto answers a wrong password with code 5, not 4. */
export interface BrokerCredentialsUsed {
  readonly username?: boolean;
  /** The error came before a TLS connection was up (mqtts://, no CONNACK yet). */
  readonly tlsHandshake?: boolean;
}

export function describeBrokerError(err: unknown, used: BrokerCredentialsUsed = {}): string {
  const e = err as { code?: unknown; message?: unknown; reason?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = e.code;
  if (typeof code === 'number' && (code === 4 || code === 5)) {
    if (used.username === true) return `the broker refused the username or password (not authorised, code ${code})`;
    return `the broker refused the connection: not authorised (code ${code}; it needs a username and password)`;
  }
  if (typeof code === 'number' && CONNACK_CODES[code] !== undefined) return CONNACK_CODES[code];
  if (typeof code === 'string') {
    if (TLS_CODES[code] !== undefined) return `TLS: ${TLS_CODES[code]} (${code})`;
    if (code === 'ECONNREFUSED') return 'connection refused (no broker listening at that address)';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the broker's host name does not resolve (${code})`;
    if (code === 'ETIMEDOUT') return 'connection timed out';
    if (code === 'ECONNRESET' && (used.tlsHandshake === true || /before secure TLS connection/i.test(message))) {
      return 'TLS: the broker closed the connection during the handshake (mqtts:// to a plain listener?)';
    }
    if (code === 'ECONNRESET') return 'the broker closed the connection (ECONNRESET)';
    if (/^ERR_OSSL_/.test(code)) return `TLS: the client certificate or key could not be read (${code})`;
    // OpenSSL's own text is a stack dump; its code names the problem well enough.
    if (/^ERR_SSL|^ERR_TLS|CERT/.test(code)) return `TLS: the handshake failed (${code})`;
  }
  if (/alert certificate required|alert handshake failure|alert bad certificate|alert unknown ca/i.test(message)) {
    return `TLS: the broker rejected the client certificate (${message.split('\n')[0]})`;
  }
  return message.split('\n')[0] ?? 'unknown error';
}
