// Patch Tuesday dates, for a scheduled job's gate. Microsoft publishes the monthly security update
// release on the second Tuesday of each month, typically at 10:00 AM Pacific Time ("Update release
// cycle for Windows clients", https://learn.microsoft.com/windows/deployment/update/release-cycle).
// The second Tuesday falls on the 8th to the 14th, so the day after it falls on the 9th to the 15th:
// a cron of 'H 6 9-15 * *' fires on it every month, and only a Wednesday among those days is it.
// (Wednesday the 8th is the day after the FIRST Tuesday: the month's second Tuesday is the 14th.)
//
//   if (!osmediaPatchTuesday.isDayAfter(currentBuild.startTimeInMillis)) { … nothing to do … }
//
// Dates are in the controller's time zone, the one its cron runs in (or the one given). At 06:00 on
// the Wednesday, the release is out in every zone up to UTC+11.

/** True when the day of `millis` is the day after the month's second Tuesday. */
boolean isDayAfter(long millis, String timeZone = null) {
    Calendar day = Calendar.getInstance(timeZone ? TimeZone.getTimeZone(timeZone) : TimeZone.getDefault())
    day.setTimeInMillis(millis)
    int dayOfMonth = day.get(Calendar.DAY_OF_MONTH)
    return day.get(Calendar.DAY_OF_WEEK) == Calendar.WEDNESDAY && dayOfMonth >= 9 && dayOfMonth <= 15
}

/** The day of the month of the second Tuesday of the month of `millis`. */
int secondTuesday(long millis, String timeZone = null) {
    Calendar day = Calendar.getInstance(timeZone ? TimeZone.getTimeZone(timeZone) : TimeZone.getDefault())
    day.setTimeInMillis(millis)
    day.set(Calendar.DAY_OF_MONTH, 1)
    int first = day.get(Calendar.DAY_OF_WEEK)
    int firstTuesday = 1 + (Calendar.TUESDAY - first + 7) % 7
    return firstTuesday + 7
}

/** osmediaPatchTuesday(): isDayAfter for the build's start time. */
boolean call() {
    return isDayAfter(currentBuild.startTimeInMillis as long)
}
