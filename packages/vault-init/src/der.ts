/**
 * @module
 * The few DER (ASN.1 Distinguished Encoding Rules) encoders the callback certificate needs:
 * lengths, SEQUENCE, INTEGER, UTF8String, times, BIT/OCTET STRING and context tags. Nothing is
 * parsed here; Node's `X509Certificate` and a real TLS handshake check what we build.
 */

/** Tag + length + content. */
export function derElement(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), derLength(content.length), content])
}

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length)
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Uint8Array.of(0x80 | bytes.length, ...bytes)
}

export function derSequence(...children: Uint8Array[]): Uint8Array {
  return derElement(0x30, concatBytes(children))
}

export function derSet(...children: Uint8Array[]): Uint8Array {
  return derElement(0x31, concatBytes(children))
}

/** A non-negative INTEGER from big-endian magnitude bytes (minimal, with a sign byte if needed). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++
  const trimmed = magnitude.subarray(start)
  const needsSignByte = ((trimmed[0] ?? 0) & 0x80) !== 0
  return derElement(0x02, needsSignByte ? concatBytes([Uint8Array.of(0), trimmed]) : trimmed)
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function derObjectIdentifier(dotted: string): Uint8Array {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes: number[] = [first * 40 + second]
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f]
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      chunk.unshift(0x80 | (value & 0x7f))
    }
    bytes.push(...chunk)
  }
  return derElement(0x06, Uint8Array.from(bytes))
}

export function derUtf8String(text: string): Uint8Array {
  return derElement(0x0c, new TextEncoder().encode(text))
}

export function derBoolean(value: boolean): Uint8Array {
  return derElement(0x01, Uint8Array.of(value ? 0xff : 0))
}

export function derOctetString(content: Uint8Array): Uint8Array {
  return derElement(0x04, content)
}

/** A BIT STRING of whole bytes (no unused bits). */
export function derBitString(content: Uint8Array): Uint8Array {
  return derElement(0x03, concatBytes([Uint8Array.of(0), content]))
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5), whole seconds, UTC. */
export function derTime(date: Date): Uint8Array {
  const iso = date.toISOString() // 2026-01-02T03:04:05.678Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`
  const year = date.getUTCFullYear()
  return year < 2050
    ? derElement(0x17, new TextEncoder().encode(digits.slice(2)))
    : derElement(0x18, new TextEncoder().encode(digits))
}

/** `[n]` EXPLICIT, constructed context-specific tag. */
export function derExplicit(tagNumber: number, content: Uint8Array): Uint8Array {
  return derElement(0xa0 | tagNumber, content)
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
