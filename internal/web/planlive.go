package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/onepc/onepc/internal/plans"
)

// The away day's live updates. The state lives in the database (the round's
// live_version, moved by every vote, push and close, and its live
// decision), so that a vote cast through any server reaches every server's
// streams. Each server watches a round only while someone streams it: one
// goroutine a round reads the counter every livePoll and, when it moves,
// builds the event once and sends it to every stream. An event says which
// question is up, whether it is closed and the turnout; never a result
// (a closed question's result is fetched from its page, which shows it
// only when it may be shown).
const livePoll = 150 * time.Millisecond

// liveEvent is what the streams and the polling fallback send.
type liveEvent struct {
	Round    int64          `json:"round"`
	Version  int64          `json:"version"`
	Decision int64          `json:"decision"` // the question on screen; 0 for none
	Title    string         `json:"title,omitempty"`
	Closed   bool           `json:"closed"`
	Turnout  map[string]int `json:"turnout"`
	Voters   int            `json:"voters"`
}

type liveHub struct {
	mu     sync.Mutex
	rounds map[int64]*liveRound
}

type liveRound struct {
	subs map[chan []byte]bool
	last []byte
}

// subscribe starts watching a round (if nobody on this server was) and
// returns a channel of events and a function to stop.
func (s *Server) subscribe(round int64) (<-chan []byte, func()) {
	h := &s.live
	ch := make(chan []byte, 1)
	h.mu.Lock()
	if h.rounds == nil {
		h.rounds = map[int64]*liveRound{}
	}
	lr, ok := h.rounds[round]
	if !ok {
		lr = &liveRound{subs: map[chan []byte]bool{}}
		h.rounds[round] = lr
		go s.watch(round, lr)
	}
	lr.subs[ch] = true
	if lr.last != nil {
		ch <- lr.last
	}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(lr.subs, ch)
		h.mu.Unlock()
	}
}

// watch reads the round's counter until nobody on this server streams it.
func (s *Server) watch(round int64, lr *liveRound) {
	h := &s.live
	var version int64 = -1
	tick := time.NewTicker(livePoll)
	defer tick.Stop()
	for range tick.C {
		h.mu.Lock()
		if len(lr.subs) == 0 {
			delete(h.rounds, round)
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, decision, err := s.store.LiveState(ctx, round)
		if err == nil && v != version {
			var ev liveEvent
			if ev, err = s.liveEventAt(ctx, round, v, decision); err == nil {
				version = v
				b, _ := json.Marshal(ev)
				h.mu.Lock()
				lr.last = b
				for ch := range lr.subs {
					select { // a slow client gets the newest event, never a queue
					case <-ch:
					default:
					}
					ch <- b
				}
				h.mu.Unlock()
			}
		}
		cancel()
		if err != nil {
			s.log.Error("live watch", "round", round, "err", err)
			time.Sleep(2 * time.Second) // a database that is down is not asked seven times a second
		}
	}
}

// liveState reads where the round's away day stands.
func (s *Server) liveState(ctx context.Context, round int64) (liveEvent, error) {
	version, decision, err := s.store.LiveState(ctx, round)
	if err != nil {
		return liveEvent{}, err
	}
	return s.liveEventAt(ctx, round, version, decision)
}

// liveEventAt builds the event for the round's counter and question on
// screen, as just read.
func (s *Server) liveEventAt(ctx context.Context, round, version, decision int64) (liveEvent, error) {
	ev := liveEvent{Round: round, Version: version, Decision: decision, Turnout: map[string]int{}}
	if decision == 0 {
		return ev, nil
	}
	d, err := s.store.Decision(ctx, round, decision)
	if err != nil {
		return ev, err
	}
	ev.Title, ev.Closed = d.Title, d.Closed
	if ev.Turnout, err = s.store.Turnout(ctx, decision); err != nil {
		return ev, err
	}
	for _, n := range ev.Turnout {
		ev.Voters += n
	}
	return ev, nil
}

// liveEvents streams the round's state as Server-Sent Events.
func (s *Server) liveEvents(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // a proxy in front must not hold events back
	w.WriteHeader(http.StatusOK)
	events, stop := s.subscribe(v.round.ID)
	defer stop()
	send := func(b []byte) error {
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		var err error
		if b == nil {
			_, err = fmt.Fprint(w, ": still here\n\n")
		} else {
			_, err = fmt.Fprintf(w, "event: state\ndata: %s\n\n", b)
		}
		if err == nil {
			err = rc.Flush()
		}
		return err
	}
	if err := send([]byte(fmt.Sprintf(`{"round":%d,"hello":true}`, v.round.ID))); err != nil {
		return nil
	}
	beat := time.NewTicker(20 * time.Second)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.stopping:
			return nil
		case b := <-events:
			if send(b) != nil {
				return nil
			}
		case <-beat.C:
			if send(nil) != nil {
				return nil
			}
		}
	}
}

// liveJSON is the polling fallback: the same state as the stream.
func (s *Server) liveJSON(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	ev, err := s.liveState(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ev)
}

// liveDecision is the decision on everyone's screen (zero for none).
func (s *Server) liveDecision(ctx context.Context, round int64) (plans.Decision, error) {
	_, live, err := s.store.LiveState(ctx, round)
	if err != nil || live == 0 {
		return plans.Decision{}, err
	}
	return s.store.Decision(ctx, round, live)
}

// workshopPage is a participant's screen at the away day: the question the
// facilitator has put up, with its ballot, updated live.
func (s *Server) workshopPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planView(r, rq)
	if err != nil {
		return err
	}
	d, err := s.liveDecision(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	dd, err := s.decisionData(r.Context(), rq, v, d, nil)
	if err != nil {
		return err
	}
	dd.Live = true
	return s.render(w, r, rq, http.StatusOK, "plan_decision", page{Title: "Away day: " + v.round.Title, Nav: "plans", Data: dd})
}

type consoleData struct {
	Round     plans.Round
	Decisions []plans.Decision
	Live      liveEvent
}

// consolePage is the facilitator's console: push a question, watch turnout
// by constituency, close it, show the result on the room's screen.
func (s *Server) consolePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	ds, err := s.store.Decisions(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	ev, err := s.liveState(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "plan_console", page{Title: "Facilitator's console: " + v.round.Title, Nav: "plans",
		Data: consoleData{Round: v.round, Decisions: ds, Live: ev}, Notice: planNotice(r)})
}

// pushLive puts a question (or none) on everyone's screen.
func (s *Server) pushLive(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	var in struct {
		Decision int64 `form:"decision"`
	}
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	if in.Decision != 0 {
		if _, err := s.store.Decision(r.Context(), v.round.ID, in.Decision); err != nil {
			return err
		}
	}
	if err := s.store.SetLive(r.Context(), rq.actor(), v.round, in.Decision); err != nil {
		return err
	}
	what := "pushed"
	if in.Decision == 0 {
		what = "cleared"
	}
	return s.done(w, r, fmt.Sprintf("/plans/%d/workshop/console", v.round.ID), what, map[string]int64{"decision": in.Decision})
}

// screenData is the room's screen: the question up, and how to join.
type screenData struct {
	decisionData
	JoinURL string
	JoinQR  template.URL
}

// screenPage is for the room's projector: how to join, the question, the
// turnout, and the result once the question is closed (if it may be shown).
func (s *Server) screenPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	v, err := s.planFacilitator(r, rq)
	if err != nil {
		return err
	}
	d, err := s.liveDecision(r.Context(), v.round.ID)
	if err != nil {
		return err
	}
	sd := screenData{JoinURL: s.baseURL(r) + "/join"}
	if sd.decisionData, err = s.decisionData(r.Context(), rq, v, d, nil); err != nil {
		return err
	}
	sd.Live = true
	if sd.JoinQR, err = qrDataURL(sd.JoinURL); err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "plan_screen", page{Title: "Room screen: " + v.round.Title, Data: sd, Bare: true})
}
