package build

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// phpLines are the PHP lines a require.php constraint is resolved against, oldest first.
var phpLines = []version{{8, 1}, {8, 2}, {8, 3}, {8, 4}}

// defaultPHP is used when composer.json does not require a PHP version.
const defaultPHP = "8.3"

// phpBuiltin are the extensions compiled into the official php images.
var phpBuiltin = setOfStrings("ctype", "curl", "date", "dom", "fileinfo", "filter", "hash", "iconv", "json",
	"libxml", "mbstring", "mysqlnd", "openssl", "pcre", "pdo", "pdo_sqlite", "phar", "posix", "readline",
	"reflection", "session", "simplexml", "sodium", "spl", "sqlite3", "standard", "tokenizer", "xml",
	"xmlreader", "xmlwriter", "zlib")

// phpExtensions are the extensions docker-php-ext-install builds, with the Debian packages
// they compile against (the -dev packages stay in the image: they carry the shared libraries).
var phpExtensions = map[string][]string{
	"bcmath": nil, "calendar": nil, "exif": nil, "gettext": nil, "mysqli": nil, "opcache": nil,
	"pcntl": nil, "pdo_mysql": nil, "shmop": nil, "sockets": nil, "sysvmsg": nil, "sysvsem": nil, "sysvshm": nil,
	"bz2":       {"libbz2-dev"},
	"gd":        {"libfreetype-dev", "libjpeg62-turbo-dev", "libpng-dev"},
	"gmp":       {"libgmp-dev"},
	"intl":      {"libicu-dev"},
	"pdo_pgsql": {"libpq-dev"},
	"pgsql":     {"libpq-dev"},
	"soap":      {"libxml2-dev"},
	"xsl":       {"libxslt1-dev"},
	"zip":       {"libzip-dev"},
}

// phpPecl are extensions installed from PECL without extra libraries.
var phpPecl = setOfStrings("redis", "apcu")

func setOfStrings(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

// phpSetup is what the PHP stages need.
type phpSetup struct {
	version string
	apt     []string
	exts    []string // for docker-php-ext-install
	pecl    []string
	cmd     []string // the image's CMD when the Procfile's web runs Heroku's boot scripts
}

// planPHP is the PHP plan: composer install in one stage, on php-cli with the extensions
// composer.json requires.
func planPHP(r *repo, p *Plan, opts genOptions) error {
	b, err := r.read("composer.json")
	if err != nil {
		return err
	}
	var cj struct {
		Require map[string]any `json:"require"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(b, []byte("\ufeff")), &cj); err != nil {
		return fmt.Errorf("parse composer.json: %s", jsonError(b, err))
	}
	s := &phpSetup{}
	constraint, _ := cj.Require["php"].(string)
	s.version = defaultPHP
	if constraint == "" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("composer.json does not require php: using PHP %s (add e.g. \"php\": \"^8.3\" to require)", s.version))
	} else if c, err := parseConstraint(constraint, composerRange); err != nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("composer.json require.php: cannot read %v; using PHP %s", err, s.version))
	} else if v, ok := c.highest(phpLines, 2); !ok {
		p.Warnings = append(p.Warnings, fmt.Sprintf("composer.json require.php %q matches none of PHP %s: using %s", constraint, lineStrings(phpLines, 2), s.version))
	} else {
		s.version = lineString(v, 2)
		p.Reasons = append(p.Reasons, fmt.Sprintf("composer.json require.php %q → %s (the newest of %s that satisfies it)", constraint, s.version, lineStrings(phpLines, 2)))
	}
	p.Version = s.version
	if !r.exists("composer.lock") {
		p.Warnings = append(p.Warnings, "no composer.lock: packages are resolved afresh on every build (commit composer.lock; Heroku requires it)")
	}

	var names []string
	for k := range cj.Require {
		if ext, ok := strings.CutPrefix(strings.ToLower(k), "ext-"); ok {
			names = append(names, ext)
		}
	}
	sort.Strings(names)
	var unknown []string
	for _, ext := range names {
		switch libs, ok := phpExtensions[ext]; {
		case phpBuiltin[ext]:
		case ok:
			s.exts = append(s.exts, ext)
			s.apt = append(s.apt, libs...)
		case phpPecl[ext]:
			s.pecl = append(s.pecl, ext)
		default:
			unknown = append(unknown, "ext-"+ext)
		}
	}
	if len(s.exts)+len(s.pecl) > 0 {
		p.Reasons = append(p.Reasons, fmt.Sprintf("composer.json requires extensions → %s installed", strings.Join(append(append([]string{}, s.exts...), s.pecl...), ", ")))
	}
	if len(unknown) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("composer.json requires %s, which the generated image does not install: composer install will fail until a Dockerfile of your own adds them", strings.Join(unknown, ", ")))
	}

	if web := r.webCommand(); web != "" {
		if root, ok := herokuPHPBoot(web); ok {
			s.cmd = []string{"/bin/sh", "-c", "exec php -S 0.0.0.0:${PORT} -t " + root}
			p.Warnings = append(p.Warnings, fmt.Sprintf("the Procfile's web command %q runs Heroku's Apache/Nginx boot script, which the image does not have: "+
				"change it to `php -S 0.0.0.0:$PORT -t %s` (PHP's built-in server, one request at a time) or add a Dockerfile with a web server", web, root))
		}
	}
	writePHP(r, p, s, opts)
	return nil
}

// herokuPHPBoot recognises heroku-php-apache2 / heroku-php-nginx and returns the document root.
func herokuPHPBoot(cmd string) (string, bool) {
	f := strings.Fields(cmd)
	for i, w := range f {
		if !strings.HasSuffix(w, "heroku-php-apache2") && !strings.HasSuffix(w, "heroku-php-nginx") {
			continue
		}
		root := "."
		for j := i + 1; j < len(f); j++ {
			switch a := f[j]; {
			case a == "-C" || a == "-F" || a == "-i" || a == "-l" || a == "-p":
				j++ // these take a value
			case strings.HasPrefix(a, "-"):
			default:
				root = strings.TrimPrefix(a, "/")
				if root == "" {
					root = "."
				}
			}
		}
		return root, true
	}
	return "", false
}
