# Shell: layout, navigation, errors.
lang-name = English
lang-switch-label = Language
skip-to-content = Skip to main content
header-owner = Tuscany Region · Anti-trafficking network
brand-tagline = Information system of the Tuscan network against trafficking and severe exploitation
nav-label = Main menu
nav-menu = Menu
nav-home = Home
nav-login = Sign in
demo-banner-title = DEMONSTRATION SYSTEM.
demo-banner-text = All data are invented: never enter data about real people.
footer-hotline-title = Do you need help?
footer-regional = Regional anti-trafficking hotline
footer-national = National anti-trafficking hotline
footer-hotline-note = Free of charge, anonymous if you wish, open 24 hours a day.
footer-about-title = SATIS
footer-about-text = The shared information system of the Tuscan regional anti-trafficking network, coordinated by the Tuscany Region with the Municipality of Viareggio as lead entity.
error-title-not-found = Page not found
error-title-forbidden = Access not allowed
error-title-too-large = Request too large
error-title-request = Invalid request
error-title-server = Something went wrong
error-400 = The request is not valid. Check what you entered and try again.
error-403 = You do not have permission to see this page.
error-404 = The page you are looking for does not exist or has moved.
error-405 = This operation is not allowed on this page.
error-413 = What you sent is larger than the maximum allowed (a file may be 8 MB at most). Nothing was saved.
error-429 = Too many attempts. Wait a few minutes and try again.
error-500 = The operation could not be completed. Nothing was lost: try again shortly and, if the problem persists, give the reference code to support.
error-generic = The request could not be completed.
error-reference = Reference code: { $id }
error-back-home = Back to the home page
error-401 = You need to sign in to continue.
error-csrf = The form has expired or did not come from this site. Reload the page and try again: nothing was saved.

## Dates outside 1900 – today (or some years ahead where the future is allowed)
error-date-birth-date = The date of birth is not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-given-on = The date of the consent is missing or not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-expires-on = The expiry date is not valid: write it as YYYY-MM-DD, from 1900 to no more than 30 years from today.
error-date-issued-on = The date of issue is not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-applied-on = The date of application is not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-since = The start date is missing or not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-effective-on = The date the change took effect is missing or not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-withdrawn-on = The date of withdrawal is missing or not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-opened-on = The day of emersion is not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-until = The end date is missing or not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-happened-on = The date of the event is missing or not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-held-on = The date of the interview is missing or not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-scheduled-on = The scheduled date is missing or not valid: write it as YYYY-MM-DD, from 1900 to no more than 30 years from today.
error-date-report-sent-on = The date the report was sent is not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-consent-on = The date of the consent is missing or not valid: write it as YYYY-MM-DD, between 1900 and today.
error-date-spent-on = The date of the expense is not valid: write it as YYYY-MM-DD, between 1900 and today.

form-problems = { $count ->
    [one] The form was not saved: one thing needs correcting. What you typed is still here.
   *[other] The form was not saved: { $count } things need correcting. What you typed is still here.
}
form-error-choice = Choose a value from the list.

# The administrator's desk: backups (issue 24)
backup-desk-title = Backups
backup-desk-newest = Newest good backup: { $at }.
backup-desk-none = No good backup recorded.
backup-desk-failed = The last scheduled backup failed ({ $at }):
backup-desk-stale = No good backup for more than two days: check the schedule or run satis backup.
backup-desk-scheduled = Backup scheduled every day at
backup-desk-keep = { $count ->
    [one] { $count } kept
   *[other] { $count } kept
}
backup-desk-unscheduled = The server schedules no backups: run satis backup from the system timer, or schedule them in the [backup] section of the configuration.
list-next-page = Next page
footer-ordinary = If your mobile operator cannot call free numbers (for example Lyca Mobile), call the ordinary number:
