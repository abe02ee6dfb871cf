// Package product reads plinth.yaml, the product file a vendor keeps at
// the root of their own repository: the product's name and version, the
// services the appliance runs and how it supervises them, the settings
// chosen per machine, extra files of the runtime image, and what the
// installer needs. The build (mkiso) makes the installer and runtime
// images from it.
//
// Parse looks at the file alone and returns the first problem as a
// *ParseError with the line and the dotted field at fault
// ("services[1].health.http.port"), as install.yaml's reader (package
// answers) does and for the same reason: a typo must stop the build, not
// ship an appliance that quietly does something else. Check then looks
// at the repository: the binaries, files, package directories, brand
// directory and updates CA file the file names. Product.Expand
// substitutes one machine's settings into the services' command lines.
//
// # Schema
//
// Every key, alternatives included (go: or file:; http:, tcp: or
// command:); each is optional unless marked required. Lists are written
// in block ("- x") or flow ("[x, y]") style. The example further down
// is a complete file.
//
//	product:                      # required
//	  name: Acme DB               # required; shown to users: one line, at most 64 characters
//	  version: git                # git (default): the build runs `git describe`; or a version
//	                              #   such as 1, 1.4, 1.4.2, v2.0.0-rc.1+build.5
//	  brand: brand                # brand directory (brand.json, logo.png, see mkiso -brand),
//	                              #   relative to this file; default: the built-in brand
//	cmdline:                      # kernel parameters added to Plinth's own, one line each
//	  installer: console=ttyS1,115200
//	  runtime: console=ttyS1,115200
//	settings:                     # values chosen per machine; services use them as ${name}
//	  - name: port                # required; [a-z][a-z0-9-]*, at most 32 characters, unique
//	    type: int                 # required; string | int | bool | list (a list of strings)
//	    default: 5432             # of that type; without one, every machine must be given a value
//	    description: Client port  # one line, for the person installing
//	services:                     # the programs the appliance runs (none is fine)
//	  - name: db                  # required; [a-z0-9-], at most 32, unique; names the log file
//	    go: ./cmd/acmedb          # exactly one of go: and file:. go: a main package, ./<dir> of
//	                              #   the module this file is in (beside its go.mod), or a
//	                              #   full import path
//	    file: bin/acmedb          #   file: a static x86-64 ELF binary, relative to this file
//	    args: [--port, "${port}"] # arguments after argv[0]
//	    env:                      # NAME: value; NAME is [A-Za-z_][A-Za-z0-9_]*
//	      ACME_LOG: info
//	    user: acme                # default: a user named after the service; root only if
//	    group: acme               #   written here. group default: the user's name
//	    workdir: /data/db         # absolute; default /data/<name>
//	    capabilities: [CAP_NET_BIND_SERVICE]   # Linux 6.1's, CAP_CHOWN..CAP_CHECKPOINT_RESTORE:
//	                              #   the service keeps these though it is not root
//	    restart: on-failure       # always | on-failure (the default: after a non-zero exit or
//	                              #   a signal) | never
//	    backoff:                  # restart delay: initial, doubling up to max (not with never)
//	      initial: 1s             #   Go durations (500ms, 10s, 2m, 1h30m), above zero;
//	      max: 1m                 #   defaults 1s and 1m; initial <= max
//	    stop:
//	      signal: SIGTERM         # SIGTERM (default), SIGINT, SIGQUIT, SIGHUP, SIGUSR1,
//	                              #   SIGUSR2, SIGWINCH or SIGKILL
//	      timeout: 10s            # then SIGKILL; default 10s
//	    after: [migrate]          # services started before this one; no cycles
//	    health:                   # exactly one of http:, tcp:, command:
//	      http:                   # healthy when GET http://127.0.0.1:<port><path> answers <status>
//	        port: 8080            #   required; 1 to 65535
//	        path: /healthz        #   default /
//	        status: 200           #   100 to 599; default 200
//	      tcp: {port: 5432}       # healthy when 127.0.0.1:<port> accepts a connection
//	      command: [/usr/bin/acmectl, ping]   # healthy when it exits 0; argv[0] an absolute
//	                              #   path in the runtime image (there is no shell)
//	      interval: 10s           # between checks; default 10s
//	      timeout: 5s             # one check at most; default 5s or interval if shorter; at most interval
//	      start-period: 0s        # after a start, failures do not count this long; default 0s
//	      retries: 3              # consecutive failures that make it unhealthy; >= 1; default 3
//	files:                        # files the build copies into the runtime image
//	  - path: /etc/acme/acme.conf # required; absolute, clean, not under /data, /proc, /sys,
//	                              #   /dev, /tmp, /run, /boot, /bbin, /init, /payload or
//	                              #   /etc/plinth (Plinth mounts over or fills those)
//	    from: config/acme.conf    # required; relative to this file
//	    mode: "0640"              # octal with a leading 0, at most 07777; default 0644
//	    owner: root:acme          # user[:group], each root or a service's user or group;
//	                              #   group default: the user's (root's, or its first service's);
//	                              #   default root:root
//	data-dirs:                    # directories the appliance keeps on the data partition
//	  - path: /data/backups       # required; below /data, not /data/log (the services' logs)
//	    mode: "0750"              # as files:; default 0755
//	    owner: acme               # as files:; default root:root
//	installer:
//	  min-memory: 1GiB            # least memory and disk the installer accepts; sizes as
//	  min-disk: 16GiB             #   install.yaml's data-size (512MiB, 20GiB, 2TiB), at least
//	                              #   256MiB; default: the installer's own minimums
//	  answers:                    # embedded install answers, install.yaml's keys and rules
//	    disk: largest             #   (package answers); with them every install is unattended
//	  answers-url: https://prov.example.com/answers/${uuid}.yaml
//	                              # URL template of the answers of installs over the network,
//	                              #   http or https; ${mac}, ${uuid} and ${serial} are the
//	                              #   machine's (see README); mkiso -answers-url wins
//	  report-url: https://prov.example.com/report/${uuid}
//	                              # URL template the installer posts its events to, and its
//	                              #   logs after a failure (see README); mkiso -report-url wins
//	  ca: certs/prov-ca.pem       # PEM CA certificates trusted for their HTTPS besides the
//	                              #   system's; relative to this file; mkiso -answers-ca wins
//	network:                      # the installed appliance's network unless the install answers
//	  mode: dhcp                  #   give one: install.yaml's network: keys and rules
//	secure-boot:                  # sign the images for UEFI Secure Boot (see README)
//	  keys: /secure/acme-keys     # required: directory of PK, KEK, db certificates and private
//	                              #   keys; absolute or relative to this file (keep it out of
//	                              #   the repository); mkiso -secureboot-keys wins
//	  shim: false                 # true: boot through Microsoft-signed shim, for machines
//	                              #   that trust only Microsoft's CAs (see README); mkiso -shim
//	updates:                      # how installed appliances take updates (see README)
//	  key: /secure/acme-update    # directory of update.crt and update.key, which sign the update
//	                              #   bundles (mkiso -new-update-key DIR makes one); absolute or
//	                              #   relative to this file; mkiso -update-key wins; default: the
//	                              #   secure-boot: db key; with neither, no bundle is made
//	  channel: https://updates.example.com/acme/channel.json
//	                              # URL of the channel file the appliance checks, http or https
//	                              #   (mkiso writes out/channel.json); mkiso -update-channel wins
//	  check-interval: 1h          # how often it checks the channel; default 1h, at least 1m
//	  ca: certs/updates-ca.pem    # PEM CA certificates trusted for the channel's HTTPS besides
//	                              #   the system's; relative to this file
//	  commit-after: 60s           # a new version commits once every service is healthy this
//	                              #   long; default 60s
//	  trial-timeout: 10m          # else the machine goes back to the version before after
//	                              #   this; default 10m; longer than commit-after
//	  min-version: v1.2.0         # the oldest installed version this build's bundle may update
//	                              #   (a version as product: version:); default: any
//
// Unknown keys, duplicate keys, anchors and aliases, explicit tags,
// merge keys, several YAML documents, empty values and values of the
// wrong kind (a list for a single value, "8080" quoted for a number,
// yes for true) are errors.
//
// # Settings
//
// A ${name} in a service's args, env values or health command is the
// value of setting name, which must be declared; $${ is a literal ${.
// Ints and bools are written in decimal and as true or false. A list
// setting that is a whole argument (args: ["${peers}"]) becomes one
// argument per item; anywhere else its items are joined with commas.
// ValidateSettings checks one machine's values against the declarations
// and fills in defaults; Product.Expand does that and substitutes them.
//
// # Example
//
// A complete plinth.yaml, whose files Check finds in the repository:
//
//	product:
//	  name: Acme DB
//	  version: v1.4.2
//	  brand: brand
//	cmdline:
//	  installer: console=ttyS1,115200
//	  runtime: console=ttyS1,115200 mitigations=auto
//	settings:
//	  - name: port
//	    type: int
//	    default: 5432
//	    description: TCP port clients connect to
//	  - name: peers
//	    type: list
//	    default: []
//	    description: Other members of the cluster, as host:port
//	  - name: cluster
//	    type: string
//	    description: Name of the cluster this machine joins
//	  - name: debug
//	    type: bool
//	    default: false
//	services:
//	  - name: db
//	    go: ./cmd/acmedb
//	    args: [--listen, ":${port}", --cluster, "${cluster}", "${peers}"]
//	    env:
//	      ACME_DEBUG: ${debug}
//	      ACME_PROMPT: $${cluster}>
//	    user: acme
//	    workdir: /data/db
//	    capabilities: [CAP_NET_BIND_SERVICE, CAP_IPC_LOCK]
//	    restart: always
//	    backoff: {initial: 500ms, max: 30s}
//	    stop: {signal: SIGINT, timeout: 1m}
//	    health:
//	      http:
//	        port: 8080
//	        path: /healthz
//	        status: 204
//	      interval: 5s
//	      timeout: 2s
//	      start-period: 1m
//	      retries: 5
//	  - name: backup
//	    file: bin/acme-backup
//	    args: [--to, /data/backups]
//	    group: acme
//	    after: [db]
//	    health:
//	      command: [/usr/bin/acmectl, ping, --port, "${port}"]
//	files:
//	  - path: /usr/bin/acmectl
//	    from: bin/acmectl
//	    mode: "0755"
//	  - path: /etc/acme/acme.conf
//	    from: config/acme.conf
//	    mode: "0640"
//	    owner: root:acme
//	data-dirs:
//	  - path: /data/backups
//	    owner: backup:acme
//	    mode: "0750"
//	installer:
//	  min-memory: 2GiB
//	  min-disk: 32GiB
//	  answers:
//	    disk: largest
//	    wipe: true
//	    after: poweroff
//	network:
//	  mode: static
//	  address: 192.0.2.10/24
//	  gateway: 192.0.2.1
//	  dns: [192.0.2.53]
//	updates:
//	  key: /secure/acme-update
//	  channel: https://updates.acme.example/db/channel.json
//	  check-interval: 30m
//	  ca: certs/updates-ca.pem
//	  commit-after: 2m
//	  trial-timeout: 15m
//	  min-version: v1.2.0
package product
