package bad

import (
	"errors"
	"fmt"
	"testing"
)

func TestInput(t *testing.T) {
	plain := errors.New("disk full")
	if errors.Is(plain, ErrInput) {
		t.Fatal("a plain error is bad input")
	}
	if Input(nil) != nil {
		t.Fatal("Input(nil) != nil")
	}
	marked := Input(plain)
	if !errors.Is(marked, ErrInput) || !errors.Is(marked, plain) || marked.Error() != "disk full" {
		t.Fatalf("Input: %v", marked)
	}
	if Input(marked) != marked {
		t.Fatal("Input wraps twice")
	}
	if wrapped := fmt.Errorf("case 3: %w", Inputf("x must be %d", 1)); !errors.Is(wrapped, ErrInput) || wrapped.Error() != "case 3: x must be 1" {
		t.Fatalf("wrapped: %v", wrapped)
	}
}

func TestField(t *testing.T) {
	err := fmt.Errorf("case a: %w", Field("servers", "must be > 0, got %d", 0))
	if err.Error() != "case a: servers must be > 0, got 0" || !errors.Is(err, ErrInput) {
		t.Fatalf("%v", err)
	}
	var fe *FieldError
	flag := func(f string) string { return "--" + map[string]string{"servers": "workers"}[f] }
	if !errors.As(err, &fe) || fe.Field != "servers" || fe.Render(flag) != "--workers must be > 0, got 0" {
		t.Fatalf("FieldError %+v", fe)
	}
	if got := Field("via", `: unknown balancer "x"`).Error(); got != `via: unknown balancer "x"` {
		t.Fatalf("colon form: %q", got)
	}
	// Other fields named in the message are written as the caller names
	// them; a brace without its pair is text.
	other := Field("resume", ": %s was made by another suite; give another {dir}, or run without {resume} {", "out/x").(*FieldError)
	if got := other.Error(); got != "resume: out/x was made by another suite; give another dir, or run without resume {" {
		t.Errorf("Error: %q", got)
	}
	if got := other.Render(func(f string) string { return "--" + f }); got != "--resume: out/x was made by another suite; give another --dir, or run without --resume {" {
		t.Errorf("Render: %q", got)
	}
}
