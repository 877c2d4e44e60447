package mustdo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	ics "github.com/arran4/golang-ical"
)

// Feed writes items as an iCalendar (RFC 5545) feed for person, with CRLF
// line endings: one all-day event an item, its UID stable across date
// changes (the obligation, the organisation, the period, and a hash of the
// person for a personal item, so that no address appears in it), its
// SEQUENCE rising when the date moves, STATUS:CANCELLED once withdrawn,
// alarms 14 and 3 days before, and a link back to the item's page.
// Other people's personal items are left out.
func Feed(items []Item, person string, orgNames map[string]string, base string, now time.Time) string {
	cal := ics.NewCalendarFor("OnePC")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName("OnePC must-dos")
	cal.SetRefreshInterval("PT6H")
	for _, it := range items {
		if !it.VisibleTo(person) {
			continue
		}
		who := ""
		if it.Person != "" {
			h := sha256.Sum256([]byte(it.Person))
			who = "-" + hex.EncodeToString(h[:6])
		}
		ev := cal.AddEvent(fmt.Sprintf("%s-%s-%s%s@onepc", it.Code, it.Org, it.Key().Period.Format("20060102"), who))
		ev.SetDtStampTime(now)
		ev.SetAllDayStartAt(it.Due)
		ev.SetAllDayEndAt(it.Due.AddDate(0, 0, 1))
		ev.SetSequence(it.Sequence)
		title := it.Title + " (" + orgNames[it.Org] + ")"
		if it.Done {
			title = "Done: " + title
		}
		ev.SetSummary(title)
		ev.SetURL(fmt.Sprintf("%s/orgs/%s/mustdos?year=%d", base, it.Org, it.Due.Year()))
		ev.SetDescription("Due " + it.Due.Format("2 January 2006") + ". Open OnePC to mark it done.")
		if it.Withdrawn {
			ev.SetStatus(ics.ObjectStatusCancelled)
			continue
		}
		ev.SetStatus(ics.ObjectStatusConfirmed)
		if !it.Done {
			for _, before := range []string{"-P14D", "-P3D"} {
				a := ev.AddAlarm()
				a.SetAction(ics.ActionDisplay)
				a.SetTrigger(before)
				a.SetProperty(ics.ComponentPropertyDescription, it.Title)
			}
		}
	}
	return cal.Serialize(ics.WithNewLine("\r\n"))
}
