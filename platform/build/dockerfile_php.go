package build

import (
	"slices"
	"strings"
)

// phpImage is the official image for a PHP line; composerImage provides composer.
func phpImage(v string) string { return "php:" + v + "-cli-bookworm" }

const composerImage = "composer:2"

// writePHP writes a PHP app's Dockerfile.
func writePHP(r *repo, p *Plan, s *phpSetup, opts genOptions) {
	var d dockerfile
	d.header(p, opts, [][2]string{{"PHP_IMAGE", phpImage(s.version)}, {"COMPOSER_IMAGE", composerImage}})
	d.printf("FROM ${COMPOSER_IMAGE} AS composer")
	d.blank()
	withAssets(&d, opts)

	d.comment("base: PHP with the extensions composer.json requires.")
	d.printf("FROM ${PHP_IMAGE} AS base")
	d.printf("WORKDIR /app")
	if apt := aptInstall(unique(s.apt)); apt != "" {
		d.printf("%s", apt)
	}
	if len(s.exts) > 0 {
		if slices.Contains(s.exts, "gd") {
			d.printf("RUN docker-php-ext-configure gd --with-freetype --with-jpeg")
		}
		d.printf("RUN docker-php-ext-install -j$(nproc) %s", strings.Join(s.exts, " "))
	}
	if len(s.pecl) > 0 {
		d.printf("RUN pecl install %s && docker-php-ext-enable %s", strings.Join(s.pecl, " "), strings.Join(s.pecl, " "))
	}
	d.blank()

	d.comment("build: composer install without require-dev.")
	d.printf("FROM base AS build")
	d.printf("%s", aptInstall([]string{"git", "unzip"}))
	d.printf("COPY --from=composer /usr/bin/composer /usr/bin/composer")
	d.copySource(opts, false)
	d.printf("RUN composer install --no-dev --optimize-autoloader --no-interaction --no-progress --prefer-dist")
	d.blank()

	d.printf("FROM base")
	d.printf("COPY --from=build --chown=%s:%s /app ./", appUser, appUser)
	d.runtimeTail(r, tail{override: s.cmd})
	d.finish(p)
}
