# mk/install.mk -- install Parley on a Debian server running lighttpd and
# PostgreSQL (docs/deploy.md walks through it).
#
#   make install            files, then (without DESTDIR) the system user
#                           `parley`, config group, upload folder
#   make install DESTDIR=/tmp/stage   files only (packaging, tests)
#   make install-system     only the users/groups step
#   make uninstall          removes what install put; keeps parley.conf,
#                           lighttpd-site.conf, the user and the database
#   make test-install       tests/install/run.sh (root; ends "install: N passed, M failed")
#
# Layout (PREFIX=/usr/local, SYSCONFDIR=/etc, LOCALSTATEDIR=/var):
#   $(BINDIR)/parley-tap, parley-migrate (SQL folder baked in)
#   $(PARLEY_LIBEXECDIR)/parley-api.fcgi, parley-api-pool, parley-wsd,
#       parley-forwarder, parley-log-redact (lighttpd's piped error log)
#   $(PARLEY_DATADIR)/www, sql;  $(PARLEY_DOCDIR)/deploy.md
#   $(SYSCONFDIR)/parley/parley.conf.example, parley.conf (only if absent,
#       new random jwt_secret and database password, mode 640 root:parley)
#   $(SYSCONFDIR)/parley/lighttpd-site.conf (only if absent; page prefix,
#       workers, ws-daemon port), lighttpd-site.conf.example
#   $(SYSCONFDIR)/lighttpd/conf-available/50-parley.conf (the routes of
#       deploy/lighttpd/50-parley.conf with the installed paths)
#   $(SYSCONFDIR)/parley/bus-keys.allow (with a new parley.conf: the CURVE
#       public keys the forwarder admits)
#   $(SYSTEMDUNITDIR)/parley-api.socket, parley-api.service (the API
#       workers, user parley), parley-wsd.service, parley-migrate.service,
#       parley-forwarder.service, lighttpd.service.d/parley.conf

PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
SYSCONFDIR     ?= /etc
LOCALSTATEDIR  ?= /var
# /run on a standard layout (systemd warns about /var/run), else under LOCALSTATEDIR.
RUNSTATEDIR    ?= $(if $(filter /var,$(LOCALSTATEDIR)),/run,$(LOCALSTATEDIR)/run)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
PARLEY_LIBEXECDIR ?= $(PREFIX)/lib/parley
PARLEY_DATADIR    ?= $(PREFIX)/share/parley
PARLEY_DOCDIR     ?= $(PREFIX)/share/doc/parley
PARLEY_CONFDIR    ?= $(SYSCONFDIR)/parley
LIGHTTPD_CONFDIR  ?= $(SYSCONFDIR)/lighttpd
# The API's FastCGI socket (parley-api.socket creates the folder).
PARLEY_SOCKETDIR  ?= $(RUNSTATEDIR)/parley-api
# Uploaded files: written by the API workers, sent by lighttpd (X-Sendfile).
PARLEY_UPLOADDIR  ?= $(LOCALSTATEDIR)/lib/parley/uploads
# lighttpd's error log, which lighttpd-site.conf routes through
# parley-log-redact (Debian's own path; written on first install only).
LIGHTTPD_ERRORLOG ?= $(LOCALSTATEDIR)/log/lighttpd/error.log
# Where the page answers in the site: "" = at /, or e.g. /chat.  Written
# into lighttpd-site.conf on first install only.
PARLEY_PAGE_PREFIX ?=
PARLEY_USER    ?= parley
LIGHTTPD_USER  ?= www-data
INSTALL        ?= install

PL_D := $(DESTDIR)
PL_SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' \
               -e 's|@LIBEXECDIR@|$(PARLEY_LIBEXECDIR)|g' \
               -e 's|@DATADIR@|$(PARLEY_DATADIR)|g' \
               -e 's|@DOCDIR@|$(PARLEY_DOCDIR)|g' \
               -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
               -e 's|@SOCKETDIR@|$(PARLEY_SOCKETDIR)|g' \
               -e 's|@PAGE_PREFIX@|$(PARLEY_PAGE_PREFIX)|g' \
               -e 's|@UPLOADDIR@|$(PARLEY_UPLOADDIR)|g' \
               -e 's|@LIGHTTPD_ERRORLOG@|$(LIGHTTPD_ERRORLOG)|g' \
               -e 's|@LIGHTTPD_GROUP@|$(LIGHTTPD_USER)|g'
PL_WWW_FILES := $(shell find www -type f 2>/dev/null)
# Migrations only: seed.sql (demo users with known passwords) is for make run.
PL_SQL_FILES := $(wildcard sql/[0-9][0-9][0-9]_*.sql)
PL_UNITS     := parley-api.socket parley-api.service parley-wsd.service \
                parley-migrate.service parley-forwarder.service

.PHONY: install install-files install-system uninstall test-install

install: install-files
ifeq ($(DESTDIR),)
	@$(MAKE) --no-print-directory install-system
endif
	@echo "parley: installed under $(DESTDIR)$(PREFIX); next steps: docs/deploy.md"

install-files: $(API_BIN) $(WSD_BIN) $(TAP_BIN) $(FWD_BIN)
	$(INSTALL) -d $(PL_D)$(BINDIR) $(PL_D)$(PARLEY_LIBEXECDIR) \
	    $(PL_D)$(PARLEY_DATADIR)/sql $(PL_D)$(PARLEY_DOCDIR) \
	    $(PL_D)$(LIGHTTPD_CONFDIR)/conf-available \
	    $(PL_D)$(SYSTEMDUNITDIR)/lighttpd.service.d
	$(INSTALL) -d -m 755 $(PL_D)$(PARLEY_CONFDIR)
	$(INSTALL) -m 755 $(API_BIN) $(WSD_BIN) $(FWD_BIN) deploy/parley-api-pool \
	    $(PL_D)$(PARLEY_LIBEXECDIR)/
	$(INSTALL) -m 755 scripts/log-redact.sh $(PL_D)$(PARLEY_LIBEXECDIR)/parley-log-redact
	$(INSTALL) -m 755 $(TAP_BIN) $(PL_D)$(BINDIR)/
	sed 's|^SQL_DIR=.*|SQL_DIR=$${1:-$(PARLEY_DATADIR)/sql}|' scripts/parley-migrate.sh \
	    > $(PL_D)$(BINDIR)/parley-migrate.tmp
	chmod 755 $(PL_D)$(BINDIR)/parley-migrate.tmp
	mv -f $(PL_D)$(BINDIR)/parley-migrate.tmp $(PL_D)$(BINDIR)/parley-migrate
	@# The page: replaced as a whole, so files dropped upstream go too.
	rm -rf $(PL_D)$(PARLEY_DATADIR)/www
	@set -e; for f in $(PL_WWW_FILES); do \
	    $(INSTALL) -D -m 644 $$f $(PL_D)$(PARLEY_DATADIR)/$$f; done
	@# index.html links its script, style and icon from the page's prefix;
	@# the scripts find the prefix themselves (www/js/base.js).
	sed -i -e 's#\(href\|src\)="/#\1="$(PARLEY_PAGE_PREFIX)/#g' \
	    $(PL_D)$(PARLEY_DATADIR)/www/index.html $(PL_D)$(PARLEY_DATADIR)/www/errors/page-404.html
	$(INSTALL) -m 644 $(PL_SQL_FILES) $(PL_D)$(PARLEY_DATADIR)/sql/
	$(INSTALL) -m 644 docs/deploy.md $(PL_D)$(PARLEY_DOCDIR)/
	@# Config: the example always; parley.conf only when absent.
	$(INSTALL) -m 644 deploy/parley.conf.example $(PL_D)$(PARLEY_CONFDIR)/parley.conf.example
	@set -e; c=$(PL_D)$(PARLEY_CONFDIR)/parley.conf; \
	if [ -e "$$c" ]; then echo "  keep $$c"; else \
	    secret=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
	    dbpw=$$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
	    umask 077; \
	    sed -e "s/^jwt_secret = .*/jwt_secret = $$secret/" \
	        -e "s/password=CHANGE_ME/password=$$dbpw/" \
	        -e "1s|.*|# $(PARLEY_CONFDIR)/parley.conf -- written by make install with a random jwt_secret and database password.|" \
	        deploy/parley.conf.example > "$$c.tmp"; \
	    fk=$$($(FWD_BIN) --keygen); hk=$$($(FWD_BIN) --keygen); \
	    key() { sed -n "s/^$$1 = //p"; }; \
	    { echo "# The event bus (docs/scale.md): parley-forwarder on ipc:// in /run/parley/bus,"; \
	      echo "# CURVE keys generated by make install."; \
	      echo "zmq_events = ipc:///run/parley/bus/in"; \
	      echo "zmq_fanout = ipc:///run/parley/bus/out"; \
	      echo "zmq_tap = ipc:///run/parley/bus/tap"; \
	      echo "forwarder_curve_secret = $$(echo "$$fk" | key secret)"; \
	      echo "forwarder_allow = $(PARLEY_CONFDIR)/bus-keys.allow"; \
	      echo "zmq_curve_server = $$(echo "$$fk" | key public)"; \
	      echo "zmq_curve_public = $$(echo "$$hk" | key public)"; \
	      echo "zmq_curve_secret = $$(echo "$$hk" | key secret)"; } >> "$$c.tmp"; \
	    echo "$$hk" | key public > "$(PL_D)$(PARLEY_CONFDIR)/bus-keys.allow"; \
	    chmod 640 "$(PL_D)$(PARLEY_CONFDIR)/bus-keys.allow"; \
	    chmod 640 "$$c.tmp"; mv "$$c.tmp" "$$c"; \
	    echo "  wrote $$c (random jwt_secret, database password and bus keys)"; fi
	$(PL_SUBST) deploy/lighttpd/parley-site.conf > $(PL_D)$(PARLEY_CONFDIR)/lighttpd-site.conf.example
	chmod 644 $(PL_D)$(PARLEY_CONFDIR)/lighttpd-site.conf.example
	@c=$(PL_D)$(PARLEY_CONFDIR)/lighttpd-site.conf; \
	if [ -e "$$c" ]; then echo "  keep $$c"; \
	    if grep -q '^var.parley_fcgi_procs' "$$c"; then \
	        sed -i 's/^var.parley_fcgi_procs/# unused since the workers run in parley-api.service (PARLEY_API_WORKERS): &/' "$$c"; \
	        echo "  $$c: commented out var.parley_fcgi_procs (now PARLEY_API_WORKERS in parley-api.service)"; fi; \
	else \
	    cp $(PL_D)$(PARLEY_CONFDIR)/lighttpd-site.conf.example "$$c" && echo "  wrote $$c"; fi
	@# lighttpd: install-time paths + the one description of the routes.
	{ $(PL_SUBST) deploy/lighttpd/conf-available.head.in; cat deploy/lighttpd/50-parley.conf; } \
	    > $(PL_D)$(LIGHTTPD_CONFDIR)/conf-available/50-parley.conf
	chmod 644 $(PL_D)$(LIGHTTPD_CONFDIR)/conf-available/50-parley.conf
	@set -e; for u in $(PL_UNITS); do \
	    $(PL_SUBST) deploy/systemd/$$u.in > $(PL_D)$(SYSTEMDUNITDIR)/$$u; \
	    chmod 644 $(PL_D)$(SYSTEMDUNITDIR)/$$u; done
	$(INSTALL) -m 644 deploy/systemd/lighttpd.service.d/parley.conf \
	    $(PL_D)$(SYSTEMDUNITDIR)/lighttpd.service.d/parley.conf

# The system side, skipped by DESTDIR installs (a package's postinst does it):
# a system user for the API workers, ws-daemon, the forwarder and
# migrations; parley.conf readable by that user's group only (640
# root:parley); and the upload folder, which the workers write and lighttpd
# only reads (X-Sendfile): parley:<lighttpd's group> 2750, so that files and
# folders the workers create there belong to lighttpd's group.  lighttpd's
# user is NOT in group parley; an older install that put it there is undone.
install-system:
	@set -e; \
	if ! getent passwd $(PARLEY_USER) >/dev/null; then \
	    adduser --system --group --home /nonexistent --no-create-home \
	        --quiet $(PARLEY_USER); echo "  created system user $(PARLEY_USER)"; fi; \
	if id -nG $(LIGHTTPD_USER) | tr ' ' '\n' | grep -qx $(PARLEY_USER); then \
	    gpasswd -d $(LIGHTTPD_USER) $(PARLEY_USER) >/dev/null; \
	    echo "  removed $(LIGHTTPD_USER) from group $(PARLEY_USER): it no longer reads parley.conf (restart lighttpd)"; fi; \
	for c in $(PARLEY_CONFDIR)/parley.conf $(PARLEY_CONFDIR)/bus-keys.allow; do \
	if [ -f "$$c" ] && [ "$$(stat -c %G "$$c")" = root ]; then \
	    chown root:$(PARLEY_USER) "$$c"; chmod 640 "$$c"; fi; done; \
	u=$(PARLEY_UPLOADDIR); \
	if [ ! -d "$$u" ]; then \
	    install -d -m 755 "$$(dirname "$$u")"; \
	    install -d -m 2750 -o $(PARLEY_USER) -g $(LIGHTTPD_USER) "$$u"; \
	    echo "  created $$u (written by the API workers, read by lighttpd)"; \
	elif [ "$$(stat -c %U:%G "$$u")" != $(PARLEY_USER):$(LIGHTTPD_USER) ]; then \
	    chown -R $(PARLEY_USER):$(LIGHTTPD_USER) "$$u"; \
	    find "$$u" -type d -exec chmod 2750 {} +; \
	    find "$$u" -type f -exec chmod 640 {} +; \
	    echo "  $$u now belongs to $(PARLEY_USER):$(LIGHTTPD_USER) (the API workers run as $(PARLEY_USER))"; fi; \
	if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi

uninstall:
ifeq ($(DESTDIR),)
	-@if [ -d /run/systemd/system ]; then \
	    systemctl disable --now $(PL_UNITS) 2>/dev/null || true; fi
endif
	@# A dangling conf-enabled link would stop lighttpd from starting.
	rm -f $(PL_D)$(LIGHTTPD_CONFDIR)/conf-enabled/50-parley.conf
	rm -f $(PL_D)$(LIGHTTPD_CONFDIR)/conf-available/50-parley.conf
	rm -f $(PL_D)$(PARLEY_LIBEXECDIR)/parley-api.fcgi $(PL_D)$(PARLEY_LIBEXECDIR)/parley-api-pool \
	    $(PL_D)$(PARLEY_LIBEXECDIR)/parley-wsd \
	    $(PL_D)$(PARLEY_LIBEXECDIR)/parley-forwarder $(PL_D)$(PARLEY_LIBEXECDIR)/parley-log-redact
	-rmdir $(PL_D)$(PARLEY_LIBEXECDIR) 2>/dev/null
	rm -f $(PL_D)$(BINDIR)/parley-tap $(PL_D)$(BINDIR)/parley-migrate
	rm -rf $(PL_D)$(PARLEY_DATADIR) $(PL_D)$(PARLEY_DOCDIR)
	rm -f $(PL_D)$(PARLEY_CONFDIR)/parley.conf.example $(PL_D)$(PARLEY_CONFDIR)/lighttpd-site.conf.example
	rm -f $(addprefix $(PL_D)$(SYSTEMDUNITDIR)/,$(PL_UNITS)) \
	    $(PL_D)$(SYSTEMDUNITDIR)/lighttpd.service.d/parley.conf
	-rmdir $(PL_D)$(SYSTEMDUNITDIR)/lighttpd.service.d 2>/dev/null
ifeq ($(DESTDIR),)
	-@if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
endif
	@echo "parley: uninstalled; kept $(PARLEY_CONFDIR)/parley.conf, bus-keys.allow, lighttpd-site.conf, user $(PARLEY_USER) and the database"

test-install: all
	@PARLEY_BUILD=$(BUILD) tests/install/run.sh
