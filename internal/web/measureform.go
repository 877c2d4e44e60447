package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onepc/onepc/internal/access"
	"github.com/onepc/onepc/internal/problem"
)

type measureForm struct {
	Values     map[string]string `json:"-"`
	Checked    map[string]bool   `json:"-"`
	Statuses   []string          `json:"-"`
	HCPs       []string          `json:"-"`
	Modes      []string          `json:"-"`
	Bands      []string          `json:"-"`
	Dimensions []dimension       `json:"-"`
}

// dimension is one of the file's dimensions as the form offers it.
type dimension struct {
	Key, Legend string
	Values      []string
}

var dimensions = []dimension{
	{"status", "Appointment status", access.Statuses},
	{"hcp", "Clinician type", access.HCPs},
	{"mode", "Appointment mode", access.Modes},
	{"band", "Time from booking to appointment", access.Bands},
}

func (s *Server) newMeasurePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderMeasureForm(w, r, rq, http.StatusOK, map[string]string{"unit": "percent", "direction": "higher"}, nil, nil)
}

func (s *Server) renderMeasureForm(w http.ResponseWriter, r *http.Request, rq *request, status int, vals map[string]string, checked map[string]bool, errs problem.Fields) error {
	d := measureForm{Values: vals, Checked: checked, Dimensions: dimensions}
	if d.Checked == nil {
		d.Checked = map[string]bool{}
	}
	return s.render(w, r, rq, status, "measure_new", page{Title: "Add a measure", Nav: "measures", Errors: errs, Data: d})
}

// createMeasure adds a measure built from the file's dimensions: for each
// of numerator and denominator, the values of each dimension to count (none
// ticked means all).
func (s *Server) createMeasure(w http.ResponseWriter, r *http.Request, rq *request) error {
	if wantsJSONBody(r) {
		return s.createMeasureJSON(w, r, rq)
	}
	if err := readForm(r); err != nil {
		return err
	}
	f := r.PostForm
	vals := map[string]string{}
	for _, k := range []string{"id", "title", "description", "why", "unit", "direction"} {
		vals[k] = strings.TrimSpace(f.Get(k))
	}
	checked := map[string]bool{}
	m := access.Measure{ID: vals["id"], Title: vals["title"], Description: vals["description"], Why: vals["why"],
		Unit: access.Unit(vals["unit"]), Direction: access.Direction(vals["direction"])}
	var errs problem.Fields
	for _, side := range []string{"num", "den"} {
		filter := &m.Numerator
		if side == "den" {
			filter = &m.Denominator
		}
		for _, dim := range dimensions {
			for _, v := range f[side+"_"+dim.Key] {
				i, err := strconv.Atoi(v)
				if err != nil || i < 0 || i >= len(dim.Values) {
					errs.Add(side+"_"+dim.Key, "Choose from the published values")
					continue
				}
				checked[side+"_"+dim.Key+"_"+v] = true
				switch dim.Key {
				case "status":
					filter.Statuses = append(filter.Statuses, access.Status(i))
				case "hcp":
					filter.HCPs = append(filter.HCPs, access.HCP(i))
				case "mode":
					filter.Modes = append(filter.Modes, access.Mode(i))
				case "band":
					filter.Bands = append(filter.Bands, access.Band(i))
				}
			}
		}
	}
	// What a share is of, as a field of the definition: all appointments
	// (NHS England's way) when no denominator box is ticked.
	m.Base = access.AllAppointments
	if !m.Denominator.Empty() {
		m.Base = access.Chosen
	}
	for _, e := range problem.FieldsOf(m.Validate()) {
		if e.Name == "numerator" { // the form's first box of the numerator
			e.Name = "num_status"
		}
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		if err := s.store.CreateMeasure(r.Context(), rq.actor(), m); err != nil {
			errs = problem.FieldsOf(err)
			if len(errs) == 0 {
				return err
			}
		}
	}
	if len(errs) > 0 {
		if wantsJSON(r) {
			return &problem.Error{Kind: problem.Invalid, Message: "The measure was not saved", Fields: errs}
		}
		return s.renderMeasureForm(w, r, rq, http.StatusUnprocessableEntity, vals, checked, errs)
	}
	return s.doneRedirect(w, r, "/measures/"+m.ID)
}

// createMeasureJSON adds a measure sent as JSON in the shape the API gives
// one (GET /api/measures/{id}'s "measure"): the same checks as the form.
func (s *Server) createMeasureJSON(w http.ResponseWriter, r *http.Request, rq *request) error {
	var m access.Measure
	if err := decodeJSONStrict(r, &m, "a measure", `Send it as GET /api/measures/{id} gives one: {"id", "title", "description", "why", "unit", "direction", "numerator": {"statuses": ["Attended"]}, "denominator"}`); err != nil {
		return err
	}
	for field, v := range map[string]string{"id": m.ID, "title": m.Title, "description": m.Description, "why": m.Why} {
		if err := checkText(field, v); err != nil {
			return err
		}
	}
	// What the table, not the sender, says of a measure.
	m.Builtin, m.Quality, m.CreatedBy, m.Retired, m.RetiredReason = false, false, "", time.Time{}, ""
	m.ID, m.Title, m.Description, m.Why = strings.TrimSpace(m.ID), strings.TrimSpace(m.Title), strings.TrimSpace(m.Description), strings.TrimSpace(m.Why)
	m.Base = access.AllAppointments
	if !m.Denominator.Empty() {
		m.Base = access.Chosen
	}
	if err := m.Validate(); err != nil {
		return &problem.Error{Kind: problem.Invalid, Message: "The measure was not saved", Fields: problem.FieldsOf(err)}
	}
	if err := s.store.CreateMeasure(r.Context(), rq.actor(), m); err != nil {
		if fs := problem.FieldsOf(err); len(fs) > 0 {
			return &problem.Error{Kind: problem.Invalid, Message: "The measure was not saved", Fields: fs}
		}
		return err
	}
	return s.doneRedirect(w, r, "/measures/"+m.ID)
}

// Box names one checkbox of the form.
func (d measureForm) Box(side, dim string, i int) string {
	return side + "_" + dim + "_" + strconv.Itoa(i)
}
