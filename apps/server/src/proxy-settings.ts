import { isIP } from 'node:net';
import { z } from 'zod';

/** proxy-addr's names for address ranges, as Fastify's `trustProxy` accepts them. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  if (rest.length > 0 || isIP(address) === 0) return false;
  if (bits === undefined) return true;
  const max = isIP(address) === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}

/**
 * `TRUST_PROXY`: whose `X-Forwarded-For` (and `-Host`, `-Proto`) to believe, for the
 * client's address in rate limits. Unset or `false`: nobody's (the socket's address
 * counts). Comma-separated addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`:
 * those proxies' (e.g. `loopback` for nginx on the same machine). `true` believes any
 * sender, which lets a client that reaches the server directly choose its own address.
 * A hop count is refused: Fastify 5.12 ignores one (it cannot tell the proxy from a
 * client), so it would silently mean "off".
 */
export const TrustProxySetting = z
  .string()
  .trim()
  .optional()
  .transform((value, ctx): boolean | string[] => {
    if (value === undefined || value === '' || value === 'false') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must name the proxies (such as loopback or 10.0.0.0/8), not count them',
      });
      return z.NEVER;
    }
    const entries = value.split(',').map((entry) => entry.trim().toLowerCase());
    const bad = entries.find((entry) => !isAddressOrRange(entry));
    if (bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false, or the proxies' addresses such as loopback,10.0.0.0/8 ("${bad.slice(0, 40)}" is none of these)`,
      });
      return z.NEVER;
    }
    return entries;
  });

/**
 * `ALLOWED_HOSTS`: comma-separated host names the server answers for besides
 * `PUBLIC_ORIGIN`'s, `localhost` and IP addresses (ports do not matter); other names get
 * 421. Names only: `photos.internal`, not `https://photos.internal`.
 */
export const AllowedHostsSetting = z
  .string()
  .optional()
  .transform((value, ctx): string[] => {
    const hosts = (value ?? '')
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter((host) => host !== '');
    const bad = hosts.find((host) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d+)?$/.test(host));
    if (bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be host names separated by commas, such as photos.internal ("${bad.slice(0, 40)}" is not one)`,
      });
      return z.NEVER;
    }
    return hosts;
  });
