/**
 * The district's time: what its devices' dynamics follow (rush hours, dusk, collection rounds).
 * Readings are still stamped by the platform when it receives them; a faster clock only makes a
 * demo show a whole day's pattern in less time.
 */
export interface CityClock {
  /** Simulated now, in ms since the epoch. */
  now(): number;
  /** The local hour of the district's day at `at` (ms), fractional: 17.5 is half past five. */
  hourOf(at: number): number;
  /** Sunlight at `at`, 0..1, with the season's sunrise and sunset. */
  sunlight(at: number): number;
}

export interface CityClockOptions {
  /** Simulated seconds per real second; default 1. */
  speed?: number;
  /** The district's offset from UTC; default the host's. */
  utcOffsetMinutes?: number;
  /** Where simulated time starts; default the real now. */
  startAt?: number;
  /** The real clock (tests pass their own). */
  realNow?: () => number;
}

const HOUR_MS = 3_600_000;

export function cityClock(options: CityClockOptions = {}): CityClock {
  const realNow = options.realNow ?? Date.now;
  const speed = options.speed ?? 1;
  const realStart = realNow();
  const startAt = options.startAt ?? realStart;
  const offsetMs = (options.utcOffsetMinutes ?? -new Date(startAt).getTimezoneOffset()) * 60_000;
  const hourOf = (at: number) => ((((at + offsetMs) % (24 * HOUR_MS)) + 24 * HOUR_MS) % (24 * HOUR_MS)) / HOUR_MS;
  return {
    now: () => startAt + (realNow() - realStart) * speed,
    hourOf,
    sunlight: (at) => {
      const local = new Date(at + offsetMs);
      const dayOfYear = (local.getTime() - Date.UTC(local.getUTCFullYear(), 0, 1)) / (24 * HOUR_MS);
      const { sunrise, sunset } = sunTimes(dayOfYear);
      return daylight(hourOf(at), sunrise, sunset);
    },
  };
}

/**
 * Sunrise and sunset, local hours, on a day of the year at a mid-latitude (~43° N, solar noon
 * at 13:00): nine hours of daylight at the winter solstice, fifteen at the summer one.
 */
export function sunTimes(dayOfYear: number): { sunrise: number; sunset: number } {
  const length = 12 + 3.1 * Math.sin((2 * Math.PI * (dayOfYear - 80)) / 365);
  return { sunrise: 13 - length / 2, sunset: 13 + length / 2 };
}

/** Hours from `a` to `b` the short way round the clock face, in [-12, 12). */
function hoursBetween(a: number, b: number): number {
  return ((((b - a + 12) % 24) + 24) % 24) - 12;
}

/** A bump of height 1 at `peak` o'clock, `width` hours wide (one standard deviation); wraps at midnight. */
export function dailyPeak(hour: number, peak: number, width: number): number {
  const distance = hoursBetween(peak, hour);
  return Math.exp(-(distance * distance) / (2 * width * width));
}

/** 0 at night, 1 by day (default: the city's waking hours), easing over an hour around sunrise and sunset. */
export function daylight(hour: number, sunrise = 7, sunset = 19.5): number {
  const ease = (x: number) => Math.min(1, Math.max(0, x));
  return Math.min(ease(hour - sunrise + 0.5), ease(sunset - hour + 0.5));
}

/** A smooth day-long swing between `min` (at `coldest` o'clock) and `max` twelve hours later. */
export function dailySwing(hour: number, min: number, max: number, coldest = 5): number {
  return min + ((max - min) * (1 - Math.cos(((hour - coldest) / 24) * 2 * Math.PI))) / 2;
}

export const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
export const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
