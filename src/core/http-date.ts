/**
 * HTTP-date (RFC 9110 §5.6.7): the preferred IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms a recipient
 * must still accept (`Sunday, 06-Nov-94 08:49:37 GMT`,
 * `Sun Nov  6 08:49:37 1994`). Anything else is not a date: `Date.parse`
 * would read `2026`, `1.5` or `tomorrow 5pm` as one.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const IMF_FIXDATE = /^([A-Z][a-z]{2}), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^([A-Z][a-z]{5,8}), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * The instant an HTTP-date names, in ms since the epoch; undefined when
 * `value` is not an HTTP-date (or names a day that does not exist, such as 31 Feb).
 *
 * @example
 * parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'); // 784111777000
 * parseHttpDate('2026-12-04');                    // undefined
 */
export function parseHttpDate(value: string | undefined | null): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return instant(DAYS.indexOf(m[1]!), Number(m[4]), m[3]!, Number(m[2]), m[5]!, m[6]!, m[7]!);
  m = RFC850_DATE.exec(text);
  if (m !== null) {
    // Two-digit years: RFC 9110 asks for the one that is not more than 50 years in the future.
    const now = new Date().getUTCFullYear();
    let year = Math.floor(now / 100) * 100 + Number(m[4]);
    if (year > now + 50) year -= 100;
    return instant(LONG_DAYS.indexOf(m[1]!), year, m[3]!, Number(m[2]), m[5]!, m[6]!, m[7]!);
  }
  m = ASCTIME_DATE.exec(text);
  if (m !== null) return instant(DAYS.indexOf(m[1]!), Number(m[7]), m[2]!, Number(m[3]!.trim()), m[4]!, m[5]!, m[6]!);
  return undefined;
}

function instant(weekday: number, year: number, monthName: string, day: number, hh: string, mm: string, ss: string): number | undefined {
  const month = MONTHS.indexOf(monthName);
  const hours = Number(hh);
  const minutes = Number(mm);
  // 60 seconds: a leap second, which the epoch does not count.
  const seconds = Number(ss);
  if (weekday === -1 || month === -1 || hours > 23 || minutes > 59 || seconds > 60 || day < 1) return undefined;
  const at = Date.UTC(year, month, day, hours, minutes, Math.min(seconds, 59));
  const date = new Date(at);
  // 31 Feb rolls into March in Date.UTC: not a date. (A day name that does not match the date is let pass, as browsers do.)
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month) return undefined;
  return at;
}
