package web

import (
	"context"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/claims"
	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
)

// Progress is read from data OnePC holds, never typed in: an access
// measure from the appointments publication, registered patients from the
// registered patients publication, claims from the claims approved.

// readFigure reads a figure for an organisation (it and every practice
// below it) as it stands: the latest month with data, and, for a measure,
// the numerator and denominator in that month and in baseMonth (when not
// zero), for the change test. Have is false where there is no data yet.
func (s *Server) readFigure(ctx context.Context, rq *request, kind plans.IndicatorKind, measure, org string, baseMonth time.Time) (plans.Reading, access.Unit, error) {
	practices, err := s.scope(ctx, rq, []string{org})
	if err != nil {
		return plans.Reading{}, "", err
	}
	switch kind {
	case plans.MeasureFigure:
		t, err := s.measureTable(ctx, rq, measure)
		if err != nil {
			return plans.Reading{}, "", err
		}
		var rd plans.Reading
		for i := len(t.Months) - 1; i >= 0; i-- {
			num, den, ok := t.Sum(practices, i, i+1)
			if x, has := t.Measure.Value(num, den, ok); has {
				rd = plans.Reading{Have: true, Value: int64(math.Round(x * 1000)), Month: t.Months[i], Num: num, Den: den}
				break
			}
		}
		if rd.Have && !baseMonth.IsZero() {
			for i, m := range t.Months {
				if m.Equal(baseMonth) {
					rd.BaseNum, rd.BaseDen, _ = t.Sum(practices, i, i+1)
				}
			}
		}
		return rd, t.Measure.Unit, nil
	case plans.PopulationFigure:
		extracts, err := s.store.Extracts(ctx)
		if err != nil || len(extracts) == 0 {
			return plans.Reading{}, "", err
		}
		latest := extracts[len(extracts)-1]
		for _, e := range extracts {
			if e.After(latest) {
				latest = e
			}
		}
		sizes, err := s.store.ListSizesInMonth(ctx, latest)
		if err != nil {
			return plans.Reading{}, "", err
		}
		var total int64
		have := false
		for p := range practices {
			if n, ok := sizes[p]; ok {
				total += int64(n)
				have = true
			}
		}
		return plans.Reading{Have: have, Value: total, Month: latest}, "", nil
	case plans.ClaimsFigure:
		rd, err := s.claimsYear(ctx, rq, org, financialYearStart(rq.today))
		rd.Month = time.Date(rq.today.Year(), rq.today.Month(), 1, 0, 0, 0, 0, time.UTC) // the year so far
		return rd, "", err
	}
	return plans.Reading{}, "", problem.New(problem.Invalid, "unknown figure %q", kind)
}

// claimsYear is the pence of claims approved for an organisation and those
// below it, for periods in the financial year from.
func (s *Server) claimsYear(ctx context.Context, rq *request, org string, from time.Time) (plans.Reading, error) {
	scope, err := s.scope(ctx, rq, []string{org})
	if err != nil {
		return plans.Reading{}, err
	}
	total, err := s.store.ClaimsTotal(ctx, slices.Collect(maps.Keys(scope)), from)
	return plans.Reading{Have: true, Value: total, Month: from}, err
}

func financialYearStart(d time.Time) time.Time {
	first, _ := claims.YearRange(claims.FinancialYear(d))
	return first
}

// evidenceView shows a figure attached to a priority: its current value and
// its change over the last year, or that there is no data yet.
func (s *Server) evidenceView(ctx context.Context, rq *request, e plans.Evidence) (evidenceView, error) {
	org := e.Org
	if o, err := s.store.Org(ctx, e.Org); err == nil {
		org = o.Name
	}
	label := e.Kind.Label() + " for " + org
	if e.Kind == plans.MeasureFigure {
		m, err := s.store.Measure(ctx, e.Measure)
		if err != nil {
			return evidenceView{}, err
		}
		label = m.Title + " for " + org
	}
	rd, unit, err := s.readFigure(ctx, rq, e.Kind, e.Measure, e.Org, time.Time{})
	if err != nil {
		return evidenceView{}, err
	}
	if !rd.Have {
		return evidenceView{Label: label, Value: e.Kind.Awaiting()}, nil
	}
	ev := evidenceView{Label: label, Value: plans.FormatFigure(e.Kind, unit, rd.Value) + " in " + rd.Month.Format("January 2006")}
	if e.Kind == plans.MeasureFigure {
		yearAgo, _, err := s.readFigureAt(ctx, rq, e, rd.Month.AddDate(-1, 0, 0))
		if err != nil {
			return ev, err
		}
		if yearAgo.Have {
			ev.Trend = "a year before: " + plans.FormatFigure(e.Kind, unit, yearAgo.Value)
		}
	}
	return ev, nil
}

// readFigureAt reads a measure for one month.
func (s *Server) readFigureAt(ctx context.Context, rq *request, e plans.Evidence, month time.Time) (plans.Reading, access.Unit, error) {
	practices, err := s.scope(ctx, rq, []string{e.Org})
	if err != nil {
		return plans.Reading{}, "", err
	}
	t, err := s.measureTable(ctx, rq, e.Measure)
	if err != nil {
		return plans.Reading{}, "", err
	}
	for i, m := range t.Months {
		if m.Equal(month) {
			num, den, ok := t.Sum(practices, i, i+1)
			if x, has := t.Measure.Value(num, den, ok); has {
				return plans.Reading{Have: true, Value: int64(math.Round(x * 1000)), Month: m, Num: num, Den: den}, t.Measure.Unit, nil
			}
		}
	}
	return plans.Reading{}, t.Measure.Unit, nil
}
