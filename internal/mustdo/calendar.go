// Package mustdo holds the obligations practices, PCNs, Places, ICBs and
// GPs owe (must-dos): a catalogue of them as data, the recurrences that
// date them (with England's bank holidays for working-day arithmetic), and
// who owes which.
package mustdo

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"time"
)

//go:embed bankholidays.csv
var bankHolidaysCSV string

// Calendar knows England's bank holidays, for counting working days.
type Calendar struct {
	holidays map[time.Time]string
	from, to int // the years the list covers
}

// England is the calendar shipped with OnePC.
func England() Calendar {
	c, err := ParseHolidays(bankHolidaysCSV)
	if err != nil {
		panic("mustdo: the shipped bankholidays.csv is broken: " + err.Error())
	}
	return c
}

// ParseHolidays reads a list of bank holidays: date,title lines after a
// header; # lines are comments.
func ParseHolidays(text string) (Calendar, error) {
	c := Calendar{holidays: map[time.Time]string{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") || t == "date,title" {
			continue
		}
		d, title, _ := strings.Cut(t, ",")
		day, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return c, fmt.Errorf("line %d: date: %q is not a date", line, d)
		}
		c.holidays[day] = title
		if c.from == 0 || day.Year() < c.from {
			c.from = day.Year()
		}
		c.to = max(c.to, day.Year())
	}
	return c, nil
}

// Covers reports whether the calendar lists the bank holidays of a year.
func (c Calendar) Covers(year int) bool { return year >= c.from && year <= c.to }

// WorkingDay reports whether a day is a weekday and not a bank holiday.
func (c Calendar) WorkingDay(d time.Time) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, holiday := c.holidays[d]
	return !holiday
}

// NthWorkingDay is the nth working day (from 1) of a month.
func (c Calendar) NthWorkingDay(year int, month time.Month, n int) time.Time {
	d := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	for count := 0; ; d = d.AddDate(0, 0, 1) {
		if c.WorkingDay(d) {
			if count++; count == n {
				return d
			}
		}
	}
}

// OnOrBefore is the last working day on or before d: a deadline that falls
// on a weekend or bank holiday is met by the working day before it.
func (c Calendar) OnOrBefore(d time.Time) time.Time {
	for !c.WorkingDay(d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}
