package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/onepc/onepc/internal/plans"
	"github.com/onepc/onepc/internal/problem"
)

const guestCookie = "onepc_guest"

func hasGuestCookie(r *http.Request) bool {
	c, err := r.Cookie(guestCookie)
	return err == nil && c.Value != ""
}

// guestCSRF is a guest's form token: derived from the session secret,
// which only the guest's cookie holds, so another site cannot know it.
func guestCSRF(secret string) string {
	h := sha256.Sum256([]byte("csrf:" + secret))
	return hex.EncodeToString(h[:16])
}

// signInGuest signs in a guest of a planning round by their cookie and,
// for a write, checks the form's token.
func (s *Server) signInGuest(r *http.Request, rq *request) error {
	c, err := r.Cookie(guestCookie)
	if err != nil {
		return errSignIn
	}
	g, err := s.store.GuestBySession(r.Context(), c.Value)
	if err != nil {
		return &problem.Error{Kind: problem.Unauthorized, Message: problem.Message(err)}
	}
	rq.guest = &g
	rq.session.CSRFToken = guestCSRF(c.Value)
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	return checkCSRF(r, rq.session.CSRFToken)
}

type joinData struct {
	Code string
	Name string
}

// joinPage asks for a join code (filled in from a QR code's address) and
// the guest's name.
func (s *Server) joinPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.render(w, r, rq, http.StatusOK, "join", page{Title: "Join a planning session", Data: joinData{Code: r.URL.Query().Get("code")}})
}

// join lets a guest in by a one-time code. Wrong codes count against the
// address like failed sign-ins, so codes cannot be guessed.
func (s *Server) join(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Code string `form:"code"`
		Name string `form:"name"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	again := func(status int, errs problem.Fields) error {
		if wantsJSON(r) {
			return writeJSON(w, status, errorBody{Error: errs[0].Message, Fields: errs})
		}
		return s.render(w, r, rq, status, "join", page{Title: "Join a planning session", Errors: errs, Data: joinData{Code: in.Code, Name: in.Name}})
	}
	name, err := plans.CheckGuestName(in.Name)
	if err != nil {
		return again(http.StatusUnprocessableEntity, problem.FieldsOf(err))
	}
	code := plans.NormalCode(in.Code)
	if code == "" {
		return again(http.StatusUnprocessableEntity, problem.Fields{{Name: "code", Message: "Enter the 8 letters and numbers of your join code, like ABCD-EF23"}})
	}
	// Wrong codes from one address are limited (store.MaxJoinFailures),
	// counted before they are tried; right ones, and codes already used,
	// take their count back, so a room joining at once is never held up.
	ok, until, err := s.store.TakeJoinAttempt(r.Context(), clientIP(r))
	if err != nil {
		return err
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(until.Sub(s.now()).Seconds())+1))
		return again(http.StatusTooManyRequests, problem.Fields{{Name: "code", Message: "Too many wrong codes from here: wait a few minutes and try again"}})
	}
	g, secret, err := s.store.RedeemJoinCode(r.Context(), code, name)
	if k := problem.KindOf(err); err == nil || k == problem.Conflict {
		if err := s.store.JoinNotWrong(r.Context(), clientIP(r)); err != nil {
			return err
		}
	}
	if err != nil {
		if k := problem.KindOf(err); k == problem.Invalid || k == problem.Conflict {
			return again(statusOf(k), problem.FieldsOf(err))
		}
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: guestCookie, Value: secret, Path: "/", MaxAge: int(g.Expires.Sub(s.now()).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"})
	to := fmt.Sprintf("/plans/%d", g.Round)
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, map[string]any{"round": g.Round, "csrf_token": guestCSRF(secret), "constituency": g.Constituency})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// baseURL is this site's address as browsers see it: the configured public
// address, or else the one this request came to.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// qrDataURL draws a QR code of text as a PNG data: address, for an img
// (marked safe: html/template would otherwise refuse a data: address).
func qrDataURL(text string) (template.URL, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, 192)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// madeCode is a join code just made, shown once with its QR code.
type madeCode struct {
	Code string       `json:"code"`
	URL  string       `json:"url"`
	QR   template.URL `json:"-"` // a data: URL of the PNG
}

// makeJoinCodes makes one-time join codes for a constituency: printed on
// cards or shown as QR codes at the away day.
func (s *Server) makeJoinCodes(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Constituency string `form:"constituency"`
		Label        string `form:"label"`
		Count        int    `form:"count"`
		Signatory    bool   `form:"signatory"`
		Days         int    `form:"days"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	var errs problem.Fields
	k := plans.ConstituencyKind(in.Constituency)
	if _, ok := v.round.Constituency(k); !ok {
		errs.Add("constituency", "Choose a constituency taking part in this round")
	}
	label, f := plans.PlainText("label", "who the codes are for", in.Label, 80, true)
	if f != nil {
		errs = append(errs, *f)
	}
	if in.Count == 0 {
		in.Count = 1
	}
	if in.Count < 1 || in.Count > 300 {
		errs.Add("count", "Make from 1 to 300 codes at once")
	}
	if in.Days == 0 {
		in.Days = plans.JoinCodeDays
	}
	if in.Days < 1 || in.Days > 90 {
		errs.Add("days", "A code lasts from 1 to 90 days")
	}
	if in.Signatory && (k.OrgKind() != "" || in.Count != 1) {
		errs.Add("signatory", "A signatory's code is for one guest of the local authority, patient representatives or voluntary sector: organisations sign through their own people")
	}
	if len(errs) > 0 {
		return s.roundProblem(w, r, rq, v, errs.Err())
	}
	expires := s.now().Add(time.Duration(in.Days) * 24 * time.Hour)
	codes, err := s.store.CreateJoinCodes(r.Context(), rq.actor(), v.round, k, label, in.Count, in.Signatory, expires)
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	var made []madeCode
	for _, c := range codes {
		m := madeCode{Code: c, URL: base + "/join?code=" + c}
		if !wantsJSON(r) {
			if m.QR, err = qrDataURL(m.URL); err != nil {
				return err
			}
		}
		made = append(made, m)
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, made)
	}
	return s.render(w, r, rq, http.StatusOK, "plan_codes", page{Title: "Join codes: " + v.round.Title, Nav: "plans",
		Data: struct {
			Round        plans.Round
			Constituency plans.ConstituencyKind
			Codes        []madeCode
			Expires      time.Time
		}{v.round, k, made, expires}})
}
