package app

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckVarName(t *testing.T) {
	for _, ok := range []string{"DATABASE_URL", "_PRIVATE", "a", "log.level", "my-var", "X9", ".hidden", strings.Repeat("A", 253)} {
		if err := CheckVarName(ok); err != nil {
			t.Errorf("CheckVarName(%q) = %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"":                       "empty variable name",
		"2FA":                    `"2FA" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`,
		"MY VAR":                 `"MY VAR" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`,
		"A=B":                    `"A=B" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`,
		"ÄPFEL":                  `"ÄPFEL" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`,
		".":                      `"." is not a valid config var name (not ".", ".." or starting with "..")`,
		"..":                     `".." is not a valid config var name (not ".", ".." or starting with "..")`,
		"..data":                 `"..data" is not a valid config var name (not ".", ".." or starting with "..")`,
		strings.Repeat("A", 254): `is not a valid config var name (at most 253 characters)`,
	} {
		err := CheckVarName(name)
		var ve *VarNameError
		if !errors.As(err, &ve) || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("CheckVarName(%q) = %v, want %q", name, err, want)
		}
	}
}
