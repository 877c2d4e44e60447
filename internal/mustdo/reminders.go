package mustdo

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Reminder is one email to send. Its Key is unique: planning the same day
// twice, on any number of servers, never makes a second one.
type Reminder struct {
	Key     string
	To      string
	Subject string
	Body    string
}

// Recipients are the people an organisation's items go to: those who keep
// its obligations, and for a practice, its PCN's managers (for escalation).
type Recipients struct {
	Keepers     []string
	PCNManagers []string
}

// Prefs are a person's reminder choices.
type Prefs struct {
	Digest  bool // a daily digest at 07:00
	Singles bool // a reminder 14, 3 and 0 days before each item
}

// DefaultPrefs are everyone's until they choose.
var DefaultPrefs = Prefs{Digest: true, Singles: true}

// DigestHour is when the daily digest goes, England time.
const DigestHour = 7

// London is England's time zone.
func London() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.FixedZone("GMT", 0)
	}
	return loc
}

// Plan works out the reminders due at now: single reminders 14, 3 and 0
// days before an item is due, to whoever has it (its assignee, or else
// those who keep the organisation's obligations, or the person a personal
// item is for); escalation of an overdue item to its deputy after a day and
// to the PCN's managers after a week; and, from 07:00 England time, each
// person's daily digest of what is overdue or due within 7 days.
func Plan(items []Item, to map[string]Recipients, prefs func(string) Prefs, now time.Time, base string) []Reminder {
	local := now.In(London())
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	var out []Reminder
	digests := map[string][]Item{}
	for _, it := range items {
		if it.Done || it.Withdrawn {
			continue
		}
		owners := to[it.Org].Keepers
		switch {
		case it.Person != "":
			owners = []string{it.Person}
		case it.Assignee != "":
			owners = []string{it.Assignee}
		}
		days := int(it.Due.Sub(today).Hours() / 24)
		key := fmt.Sprintf("%s/%s/%s/%s", it.Code, it.Org, it.Person, it.Key().Period.Format(time.DateOnly))
		if days == 14 || days == 3 || days == 0 {
			for _, p := range owners {
				if prefs(p).Singles {
					out = append(out, Reminder{Key: fmt.Sprintf("single/%d/%s/%s", days, key, p), To: p,
						Subject: fmt.Sprintf("%s: due %s", it.Title, when(days)), Body: itemLine(it, base)})
				}
			}
		}
		if days <= -1 && it.Deputy != "" {
			out = append(out, Reminder{Key: "escalate/deputy/" + key + "/" + it.Deputy, To: it.Deputy,
				Subject: "Overdue, as deputy: " + it.Title, Body: "You are the deputy for this item, which is overdue.\r\n\r\n" + itemLine(it, base)})
		}
		if days <= -7 && it.Person == "" {
			for _, m := range to[it.Org].PCNManagers {
				out = append(out, Reminder{Key: "escalate/pcn/" + key + "/" + m, To: m,
					Subject: "Overdue a week at a member practice: " + it.Title, Body: itemLine(it, base)})
			}
		}
		if days <= 7 {
			for _, p := range owners {
				digests[p] = append(digests[p], it)
			}
		}
	}
	if local.Hour() >= DigestHour {
		var people []string
		for p := range digests {
			people = append(people, p)
		}
		slices.Sort(people)
		for _, p := range people {
			if !prefs(p).Digest {
				continue
			}
			var b strings.Builder
			b.WriteString("What you owe that is overdue or due within 7 days:\r\n\r\n")
			for _, it := range digests[p] {
				b.WriteString(itemLine(it, base))
			}
			b.WriteString("\r\nMy week: " + base + "/my-week\r\n")
			out = append(out, Reminder{Key: "digest/" + today.Format(time.DateOnly) + "/" + p, To: p,
				Subject: fmt.Sprintf("OnePC: %d must-dos this week", len(digests[p])), Body: b.String()})
		}
	}
	return out
}

func when(days int) string {
	switch days {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", days)
}

func itemLine(it Item, base string) string {
	return fmt.Sprintf("- %s (%s): due %s\r\n  %s/orgs/%s/mustdos?year=%d\r\n", it.Title, it.Org, it.Due.Format("Mon 2 Jan 2006"), base, it.Org, it.Due.Year())
}
