//! The working-day calendar: Monday to Friday are working days, Saturday
//! and Sunday are not, and there are no holidays. Simulated time 0 is a
//! Monday 00:00, so day `n` of a run (from `n` × 24 h) is a working day
//! when `n mod 7 < 5`. A notice over a span gives staff the working days
//! that begin inside it (notified before the day starts): any 21 days
//! hold exactly 15, however they fall in the week.

use crate::engine::{MICROS_PER_DAY, SimDuration, SimTime};

/// Days in a week, and the working days that open it.
const WEEK_DAYS: u64 = 7;
const WORKING_DAYS_PER_WEEK: u64 = 5;

/// Working days that begin inside `[start, start + span)`.
pub fn working_days_in(start: SimTime, span: SimDuration) -> u64 {
    let (from_us, to_us) = (start.as_micros(), start.as_micros().saturating_add(span.as_micros()));
    let first = from_us.div_ceil(MICROS_PER_DAY);
    let end = to_us.div_ceil(MICROS_PER_DAY);
    working_days_before(end).saturating_sub(working_days_before(first))
}

/// Working days among days `0 .. day`.
fn working_days_before(day: u64) -> u64 {
    day / WEEK_DAYS * WORKING_DAYS_PER_WEEK + (day % WEEK_DAYS).min(WORKING_DAYS_PER_WEEK)
}

/// The fewest working days a span of `span` holds, wherever in the week it
/// starts: the count changes only where the start or the end crosses a
/// midnight, so the starts at and just after each of those, over one week,
/// are every case.
pub fn fewest_working_days(span: SimDuration) -> u64 {
    let shift = (MICROS_PER_DAY - span.as_micros() % MICROS_PER_DAY) % MICROS_PER_DAY;
    (0..WEEK_DAYS)
        .flat_map(|day| [day * MICROS_PER_DAY, day * MICROS_PER_DAY + shift])
        .flat_map(|us| [us, us + 1])
        .map(|us| working_days_in(SimTime::from_micros(us), span))
        .min()
        .expect("a week has days")
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEDNESDAY: SimTime = SimTime::from_micros(2 * MICROS_PER_DAY);

    #[test]
    fn a_week_opens_with_five_working_days() {
        let day = |n: u64| working_days_in(SimTime::from_micros(n * MICROS_PER_DAY), SimDuration::from_days(1));
        assert_eq!((0..7).map(day).collect::<Vec<_>>(), [1, 1, 1, 1, 1, 0, 0]);
        assert_eq!((day(7), day(13)), (1, 0));
    }

    #[test]
    fn fourteen_days_from_a_wednesday_hold_ten_working_days() {
        // Wed Thu Fri, Mon–Fri, Mon Tue: 3 + 5 + 2 = 10.
        assert_eq!(working_days_in(WEDNESDAY, SimDuration::from_days(14)), 10);
        // From Wednesday noon, that Wednesday began before the notice but
        // the Wednesday two weeks on begins inside it: Thu Fri, Mon–Fri,
        // Mon Tue Wed: still 10.
        let noon = WEDNESDAY + SimDuration::from_hours(12);
        assert_eq!(working_days_in(noon, SimDuration::from_days(14)), 10);
        // Thirteen and a half days from that noon stop before the last
        // Wednesday begins: 9.
        assert_eq!(working_days_in(noon, SimDuration::from_hours(13 * 24 + 12)), 9);
    }

    #[test]
    fn twenty_one_days_always_hold_fifteen_working_days_and_twenty_may_hold_fourteen() {
        // Three whole weeks see 21 midnights, three of each weekday,
        // wherever they start: 15. Twenty days from a Saturday: Sat Sun, Mon–Fri,
        // Sat Sun, Mon–Fri, Sat Sun, Mon–Thu: 5 + 5 + 4 = 14.
        assert_eq!(fewest_working_days(SimDuration::from_days(21)), 15);
        let saturday = SimTime::from_micros(5 * MICROS_PER_DAY);
        assert_eq!(working_days_in(saturday, SimDuration::from_days(20)), 14);
        assert_eq!(fewest_working_days(SimDuration::from_days(20)), 14);
        assert_eq!(working_days_in(SimTime::ZERO, SimDuration::from_days(20)), 15);
    }
}
