package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/fieldsync/fieldsync/domain"
	"github.com/fieldsync/fieldsync/sync/accounts"
)

// adminPasswordEnv holds the password for create-user and reset-password when set; otherwise
// the first line of stdin does. Passwords are never taken from argv (ps shows it to everyone).
const adminPasswordEnv = "FIELDSYNC_ADMIN_PASSWORD"

// adminCommand is one `fieldsync admin` command: its flags, and what it does with them.
type adminCommand struct {
	usage string
	flags func(fs *flag.FlagSet) func(ctx context.Context, x *adminRun) error
	// data marks the commands that move whole stores (dump, restore, backup): they work on the
	// document stores directly and never start the accounts service, which would write the
	// signing key into a store that restore needs empty.
	data bool
	// arg names the one positional argument the command takes ("" = none).
	arg string
}

// adminRun is what a command works with: the accounts service, acting as the command line (the
// account commands), or the app with its document stores opened (the data commands).
type adminRun struct {
	users  *accounts.Service
	app    *app
	arg    string // the positional argument, when the command takes one
	pass   func() (string, error)
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

var adminCommands = map[string]adminCommand{
	"create-team":    {usage: "--name NAME", flags: createTeamCmd},
	"create-user":    {usage: "--username U --role ROLE [--team NAME] [--display-name N] [--hire-date YYYY-MM-DD] [--grade A|B|C] [--monthly-pay-fen N] [--probation-passed]", flags: createUserCmd},
	"reset-password": {usage: "--username U", flags: resetPasswordCmd},
	"disable-user":   {usage: "--username U", flags: disableUserCmd},
	"dump":           {usage: "[--photos] [--out FILE]", flags: dumpCmd, data: true},
	"restore":        {usage: "[--photos] [--in FILE]", flags: restoreCmd, data: true},
	"backup":         {usage: "DIR", flags: backupCmd, data: true, arg: "DIR"},
}

// admin runs `fieldsync admin [server flags] <command> [command flags]`: the account set-up
// commands, on the same store the server uses (the server's configuration, environment and
// flags before the command). On the embedded store it runs beside a server on the same data
// directory (SQLite allows several processes on one file).
func admin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	i := slices.IndexFunc(args, func(a string) bool { _, ok := adminCommands[a]; return ok })
	if i < 0 {
		adminUsage(stderr)
		return errors.New("admin: name a command")
	}
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "password" || name == "pass" || name == "pw") {
			return fmt.Errorf("admin: passwords are never given as arguments: use the first line of stdin or %s", adminPasswordEnv)
		}
	}
	cfg, err := loadConfig(args[:i], getenv, stderr)
	if err != nil {
		return err
	}
	cmd := adminCommands[args[i]]
	fs := flag.NewFlagSet("fieldsync admin "+args[i], flag.ContinueOnError)
	fs.SetOutput(stderr)
	do := cmd.flags(fs)
	if err := fs.Parse(args[i+1:]); err != nil {
		return err
	}
	want := 0
	if cmd.arg != "" {
		want = 1
	}
	if fs.NArg() != want {
		if fs.NArg() < want {
			return fmt.Errorf("admin %s: name the %s (usage: %s)", args[i], cmd.arg, cmd.usage)
		}
		return fmt.Errorf("admin %s: unexpected argument %q (usage: %s)", args[i], fs.Arg(want), cmd.usage)
	}

	a := &app{cfg: cfg, log: newLogger(stderr, "warn")}
	defer a.stopStores(context.WithoutCancel(ctx))
	if err := a.startDocuments(ctx); err != nil {
		return err
	}
	x := &adminRun{app: a, arg: fs.Arg(0), stdin: stdin, stdout: stdout, stderr: stderr}
	if cmd.data {
		return do(ctx, x)
	}
	if err := a.startAccounts(ctx); err != nil {
		return err
	}
	x.users = a.users
	x.pass = func() (string, error) { return readPassword(getenv, stdin) }
	return withFields(do(ctx, x))
}

// withFields appends an error's per-field codes to its text, so that the operator learns which
// flag is wrong ("invalid user (grade: requires probationPassed)").
func withFields(err error) error {
	fields := domain.ErrorFields(err)
	if len(fields) == 0 {
		return err
	}
	parts := make([]string, 0, len(fields))
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		parts = append(parts, name+": "+fields[name])
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(parts, ", "))
}

func adminUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: fieldsync admin [server flags] <command> [flags]")
	for _, name := range slices.Sorted(maps.Keys(adminCommands)) {
		fmt.Fprintf(w, "  %s %s\n", name, adminCommands[name].usage)
	}
	fmt.Fprintf(w, "The password of create-user and reset-password is the first line of stdin, or %s.\n", adminPasswordEnv)
}

// readPassword returns FIELDSYNC_ADMIN_PASSWORD when set, otherwise the first line of stdin
// (without its line ending). Errors: neither gives a password.
func readPassword(getenv func(string) string, stdin io.Reader) (string, error) {
	if p := getenv(adminPasswordEnv); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password: give it on the first line of stdin or in %s", adminPasswordEnv)
	}
	return line, nil
}

func required(cmd string, values map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if strings.TrimSpace(values[name]) == "" {
			return fmt.Errorf("admin %s: --%s is required", cmd, name)
		}
	}
	return nil
}

func createTeamCmd(fs *flag.FlagSet) func(context.Context, *adminRun) error {
	name := fs.String("name", "", "team name")
	return func(ctx context.Context, x *adminRun) error {
		if err := required("create-team", map[string]string{"name": *name}); err != nil {
			return err
		}
		t, err := x.users.CreateTeam(ctx, accounts.CommandLine, "", *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(x.stdout, "created team %q (id %s)\n", t.Name, t.ID)
		return nil
	}
}

func createUserCmd(fs *flag.FlagSet) func(context.Context, *adminRun) error {
	username := fs.String("username", "", "sign-in name: 3..32 of a-z 0-9 . _ -")
	role := fs.String("role", "", "technician, leader, purchasing, gm, hr or admin")
	team := fs.String("team", "", "team name or id (technicians and leaders)")
	display := fs.String("display-name", "", "name shown in the app (default: the username)")
	hire := fs.String("hire-date", "", "hire date, YYYY-MM-DD (Asia/Shanghai)")
	grade := fs.String("grade", "", "pay grade A, B or C (after probation)")
	pay := fs.Int64("monthly-pay-fen", 0, "monthly pay in fen (1 CNY = 100 fen)")
	probation := fs.Bool("probation-passed", false, "the probation period is over")
	return func(ctx context.Context, x *adminRun) error {
		if err := required("create-user", map[string]string{"username": *username, "role": *role}); err != nil {
			return err
		}
		hireDate, err := domain.ParseDate(*hire)
		if err != nil {
			return fmt.Errorf("admin create-user: --hire-date: %w", err)
		}
		u := domain.User{Username: *username, DisplayName: *display, Role: domain.Role(*role), HireDate: hireDate,
			Grade: domain.Grade(*grade), MonthlyPayFen: *pay, ProbationPassed: *probation}
		if *team != "" {
			t, err := x.users.TeamByName(ctx, accounts.CommandLine, *team)
			switch {
			case err == nil:
				u.TeamID = t.ID
			case errors.Is(err, domain.ErrNotFound) && domain.IsUUID(*team):
				u.TeamID = *team
			default:
				return fmt.Errorf("admin create-user: --team %q: %w", *team, err)
			}
		}
		password, err := x.pass()
		if err != nil {
			return err
		}
		if u, err = x.users.CreateUser(ctx, accounts.CommandLine, "", u, password); err != nil {
			return err
		}
		fmt.Fprintf(x.stdout, "created %s %q (id %s)\n", u.Role, u.Username, u.ID)
		return nil
	}
}

func resetPasswordCmd(fs *flag.FlagSet) func(context.Context, *adminRun) error {
	username := fs.String("username", "", "whose password")
	return func(ctx context.Context, x *adminRun) error {
		if err := required("reset-password", map[string]string{"username": *username}); err != nil {
			return err
		}
		u, err := x.users.UserByUsername(ctx, accounts.CommandLine, *username)
		if err != nil {
			return err
		}
		password, err := x.pass()
		if err != nil {
			return err
		}
		if err := x.users.ResetPassword(ctx, accounts.CommandLine, "", u.ID, password); err != nil {
			return err
		}
		fmt.Fprintf(x.stdout, "reset the password of %q; their devices are signed out\n", u.Username)
		return nil
	}
}

func disableUserCmd(fs *flag.FlagSet) func(context.Context, *adminRun) error {
	username := fs.String("username", "", "whom to disable")
	return func(ctx context.Context, x *adminRun) error {
		if err := required("disable-user", map[string]string{"username": *username}); err != nil {
			return err
		}
		u, err := x.users.UserByUsername(ctx, accounts.CommandLine, *username)
		if err != nil {
			return err
		}
		if _, err := x.users.DisableUser(ctx, accounts.CommandLine, "", u.ID); err != nil {
			return err
		}
		fmt.Fprintf(x.stdout, "disabled %q; their devices are signed out\n", u.Username)
		return nil
	}
}
