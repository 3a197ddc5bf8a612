/*
 * dev-kafka: a Kafka-protocol development broker built on librdkafka's mock
 * cluster.
 *
 * The mock cluster speaks the real Kafka wire protocol (produce, fetch,
 * consumer groups, committed offsets, idempotent and transactional producers)
 * and keeps everything in memory. This launcher wraps it into a small
 * foreground process suitable for a dev stack and for integration tests:
 *
 *   - creates N brokers (ids 1..N) listening on 127.0.0.1;
 *   - pins the controller id to 1 (kafkajs' idempotent producer needs a
 *     valid controller in Metadata);
 *   - caps LeaveGroup at v2 (kafkajs 2.x cannot parse the mock's v3+ reply);
 *   - pre-creates topics (the mock has no CreateTopics API);
 *   - prints "BOOTSTRAP host:port,..." on stdout once everything is ready
 *     and optionally writes the same list to a file;
 *   - stops cleanly on SIGTERM/SIGINT/SIGHUP, and on stdin EOF when asked.
 *
 * See README.md next to this file for usage and limits.
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rdkafka.h"
#include "rdkafka_mock.h"

#define DEV_KAFKA_NAME "dev-kafka"

/* librdkafka 2.15.x is required: older mocks (e.g. Debian's 2.0.2) report
 * controller id 0 and lack APIs used here. */
#define REQUIRED_VERSION_MAJOR_MINOR 0x020fu

/* Kafka protocol ApiKey for LeaveGroup (rdkafka_protocol.h is internal). */
#define KAFKA_APIKEY_LEAVEGROUP 13
/* kafkajs 2.x fails to decode the mock's LeaveGroup v3+ response. */
#define LEAVEGROUP_MAX_VERSION 2

#define MAX_BROKERS 32
#define MAX_PARTITIONS 10000
#define MAX_TOPIC_NAME_LEN 249
#define DEFAULT_BROKERS 3
#define DEFAULT_PARTITIONS 3
#define DEFAULT_REBALANCE_DELAY_MS 3000
#define SHUTDOWN_WATCHDOG_SEC 15

/* ------------------------------------------------------------------------ */
/* Logging (stderr only; stdout is reserved for the BOOTSTRAP line)          */
/* ------------------------------------------------------------------------ */

static void log_line(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void log_line(const char *level, const char *fmt, ...) {
        char ts[32];
        char msg[1024];
        struct timeval tv;
        struct tm tm;
        va_list ap;

        gettimeofday(&tv, NULL);
        localtime_r(&tv.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        /* One fprintf per line: stdio locks the stream, so concurrent lines
         * from librdkafka threads do not interleave. */
        fprintf(stderr, "%s.%03ld %s %s: %s\n", ts, (long)(tv.tv_usec / 1000),
                level, DEV_KAFKA_NAME, msg);
}

#define log_info(...) log_line("INFO ", __VA_ARGS__)
#define log_warn(...) log_line("WARN ", __VA_ARGS__)
#define log_error(...) log_line("ERROR", __VA_ARGS__)

static const char *syslog_level_name(int level) {
        static const char *names[] = {"EMERG", "ALERT", "CRIT ", "ERROR",
                                      "WARN ", "NOTE ", "INFO ", "DEBUG"};
        if (level < 0 || level > 7)
                return "LOG  ";
        return names[level];
}

static void rdkafka_log_cb(const rd_kafka_t *rk,
                           int level,
                           const char *fac,
                           const char *buf) {
        (void)rk;
        /* The bookkeeping producer never connects anywhere; its warning
         * about the missing bootstrap.servers is noise. */
        if (!strcmp(fac, "CONFWARN") && strstr(buf, "bootstrap.servers"))
                return;
        log_line(syslog_level_name(level), "librdkafka %s: %s", fac, buf);
}

/* ------------------------------------------------------------------------ */
/* Fixed listen ports                                                        */
/*                                                                           */
/* librdkafka 2.15's mock always binds its brokers to 127.0.0.1:0 (ephemeral */
/* ports); rd_kafka_mock_broker_set_host_port() only changes the advertised  */
/* address, not the listener. To offer stable addresses (--port BASE) the    */
/* launcher is linked with -Wl,--wrap=bind: while (and only while) this      */
/* thread runs rd_kafka_mock_cluster_new(), an IPv4 bind() to port 0 is      */
/* rewritten to BASE, BASE+1, ... in broker order. The bound port is read    */
/* back by the mock with getsockname(), so the advertised listeners and the  */
/* bootstrap list follow automatically.                                      */
/* ------------------------------------------------------------------------ */

int __real_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len);

static _Thread_local int remap_active    = 0;
static _Thread_local int remap_next_port = 0;

int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len) {
        struct sockaddr_in sin;
        int port, r;

        if (!remap_active || addr == NULL || addr->sa_family != AF_INET ||
            len < (socklen_t)sizeof(sin))
                return __real_bind(fd, addr, len);

        memcpy(&sin, addr, sizeof(sin));
        if (sin.sin_port != 0)
                return __real_bind(fd, addr, len);

        port         = remap_next_port++;
        sin.sin_port = htons((uint16_t)port);
        r            = __real_bind(fd, (const struct sockaddr *)&sin,
                                   (socklen_t)sizeof(sin));
        if (r == -1) {
                /* The mock cannot recover from a failed listener inside
                 * rd_kafka_mock_cluster_new() (it tears down a half-built
                 * cluster), so fail the whole process with a clear message.
                 * Nothing has been published yet (no bootstrap file). */
                log_error("cannot listen on 127.0.0.1:%d: %s", port,
                          strerror(errno));
                _exit(EXIT_FAILURE);
        }
        return r;
}

/* Checks up front that BASE..BASE+count-1 can be bound, to give a clear error
 * before librdkafka starts. */
static int check_ports_free(int base, int count) {
        int i;

        for (i = 0; i < count; i++) {
                struct sockaddr_in sin;
                int on = 1;
                int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);

                if (fd == -1) {
                        log_error("socket(): %s", strerror(errno));
                        return -1;
                }
                /* Same options as the mock's listener: SO_REUSEADDR lets a
                 * restarted broker reuse ports still in TIME_WAIT. */
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
                                 sizeof(on));
                memset(&sin, 0, sizeof(sin));
                sin.sin_family      = AF_INET;
                sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                sin.sin_port        = htons((uint16_t)(base + i));
                if (__real_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ==
                    -1) {
                        log_error("port 127.0.0.1:%d is not available: %s",
                                  base + i, strerror(errno));
                        close(fd);
                        return -1;
                }
                close(fd);
        }
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Topics                                                                    */
/* ------------------------------------------------------------------------ */

struct topic_spec {
        char *name;
        int partitions; /* -1: use --partitions */
};

struct topic_list {
        struct topic_spec *items;
        size_t cnt;
        size_t cap;
};

static int parse_int(const char *s, long min, long max, int *out) {
        char *end;
        long v;

        if (s == NULL || *s == '\0')
                return -1;
        errno = 0;
        v     = strtol(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < min || v > max)
                return -1;
        *out = (int)v;
        return 0;
}

/* Kafka's rules: 1..249 chars of [a-zA-Z0-9._-], not "." or "..". */
static int topic_name_valid(const char *name) {
        size_t len = strlen(name);
        size_t i;

        if (len == 0 || len > MAX_TOPIC_NAME_LEN || !strcmp(name, ".") ||
            !strcmp(name, ".."))
                return 0;
        for (i = 0; i < len; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-'))
                        return 0;
        }
        return 1;
}

/* Adds "NAME" or "NAME:PARTITIONS". Repeating a name with the same partition
 * count is harmless; a conflicting count is an error. */
static int topic_list_add(struct topic_list *tl, const char *spec,
                          const char *origin) {
        char *name = strdup(spec);
        char *colon;
        int partitions = -1;
        size_t i;

        if (name == NULL) {
                log_error("out of memory");
                return -1;
        }

        if ((colon = strchr(name, ':')) != NULL) {
                *colon = '\0';
                if (parse_int(colon + 1, 1, MAX_PARTITIONS, &partitions) ==
                    -1) {
                        log_error("%s: invalid partition count in topic "
                                  "\"%s\" (expected NAME or NAME:1..%d)",
                                  origin, spec, MAX_PARTITIONS);
                        free(name);
                        return -1;
                }
        }

        if (!topic_name_valid(name)) {
                log_error("%s: invalid topic name \"%s\" (1..%d characters "
                          "of [a-zA-Z0-9._-], not \".\" or \"..\")",
                          origin, name, MAX_TOPIC_NAME_LEN);
                free(name);
                return -1;
        }

        for (i = 0; i < tl->cnt; i++) {
                if (strcmp(tl->items[i].name, name) != 0)
                        continue;
                if (tl->items[i].partitions != partitions) {
                        log_error("%s: topic \"%s\" listed twice with "
                                  "different partition counts",
                                  origin, name);
                        free(name);
                        return -1;
                }
                free(name);
                return 0;
        }

        if (tl->cnt == tl->cap) {
                size_t ncap = tl->cap ? tl->cap * 2 : 16;
                struct topic_spec *n =
                    realloc(tl->items, ncap * sizeof(*tl->items));
                if (n == NULL) {
                        log_error("out of memory");
                        free(name);
                        return -1;
                }
                tl->items = n;
                tl->cap   = ncap;
        }
        tl->items[tl->cnt].name       = name;
        tl->items[tl->cnt].partitions = partitions;
        tl->cnt++;
        return 0;
}

static void topic_list_free(struct topic_list *tl) {
        size_t i;
        for (i = 0; i < tl->cnt; i++)
                free(tl->items[i].name);
        free(tl->items);
        memset(tl, 0, sizeof(*tl));
}

/* One topic per line; surrounding whitespace, blank lines and '#' comments
 * (full-line or trailing) are ignored. */
static int topic_list_load_file(struct topic_list *tl, const char *path) {
        FILE *fp = fopen(path, "r");
        char *line = NULL;
        size_t linecap = 0;
        ssize_t n;
        int lineno = 0;
        int rc     = 0;

        if (fp == NULL) {
                log_error("cannot open topics file %s: %s", path,
                          strerror(errno));
                return -1;
        }

        while ((n = getline(&line, &linecap, fp)) != -1) {
                char *s = line;
                char *e;
                char origin[PATH_MAX + 32];

                lineno++;
                if ((e = strchr(s, '#')) != NULL)
                        *e = '\0';
                while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
                        s++;
                e = s + strlen(s);
                while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
                                 e[-1] == '\r' || e[-1] == '\n'))
                        *--e = '\0';
                if (*s == '\0')
                        continue;

                snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
                if (topic_list_add(tl, s, origin) == -1) {
                        rc = -1;
                        break;
                }
        }
        if (rc == 0 && ferror(fp)) {
                log_error("error reading topics file %s: %s", path,
                          strerror(errno));
                rc = -1;
        }
        free(line);
        fclose(fp);
        return rc;
}

/* ------------------------------------------------------------------------ */
/* Bootstrap file                                                            */
/* ------------------------------------------------------------------------ */

/* Written atomically (temp file + rename) so readers never see a partial
 * list. Content: "host:port,host:port,...\n". */
static int write_bootstrap_file(const char *path, const char *bootstraps) {
        char tmp[PATH_MAX];
        FILE *fp;
        int n;

        n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
        if (n < 0 || (size_t)n >= sizeof(tmp)) {
                log_error("bootstrap file path too long: %s", path);
                return -1;
        }
        if ((fp = fopen(tmp, "w")) == NULL) {
                log_error("cannot create %s: %s", tmp, strerror(errno));
                return -1;
        }
        if (fprintf(fp, "%s\n", bootstraps) < 0 || fflush(fp) != 0 ||
            fsync(fileno(fp)) != 0) {
                log_error("cannot write %s: %s", tmp, strerror(errno));
                fclose(fp);
                unlink(tmp);
                return -1;
        }
        if (fclose(fp) != 0) {
                log_error("cannot write %s: %s", tmp, strerror(errno));
                unlink(tmp);
                return -1;
        }
        if (rename(tmp, path) != 0) {
                log_error("cannot rename %s to %s: %s", tmp, path,
                          strerror(errno));
                unlink(tmp);
                return -1;
        }
        return 0;
}

/* Removes the bootstrap file only if it still holds our list: another
 * instance configured with the same path may have replaced it meanwhile. */
static void remove_bootstrap_file(const char *path, const char *bootstraps) {
        char buf[4096];
        size_t blen = strlen(bootstraps);
        size_t n;
        FILE *fp = fopen(path, "r");

        if (fp == NULL) {
                if (errno != ENOENT)
                        log_warn("cannot open %s: %s", path, strerror(errno));
                return;
        }
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        if (n != blen + 1 || memcmp(buf, bootstraps, blen) != 0 ||
            buf[blen] != '\n') {
                log_warn("%s was replaced by another process; leaving it",
                         path);
                return;
        }
        if (unlink(path) != 0 && errno != ENOENT)
                log_warn("cannot remove %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------------------ */
/* Stop conditions: signals (via sigwait) and optional stdin EOF             */
/* ------------------------------------------------------------------------ */

static volatile sig_atomic_t stdin_eof_seen = 0;

static void *stdin_watch_main(void *arg) {
        char buf[4096];
        (void)arg;

        for (;;) {
                ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
                if (r > 0)
                        continue; /* Input is ignored; only EOF matters. */
                if (r == -1 && errno == EINTR)
                        continue;
                break; /* EOF, or an error: the parent is gone either way. */
        }
        stdin_eof_seen = 1;
        /* Wake up the main thread's sigwait(). */
        kill(getpid(), SIGTERM);
        return NULL;
}

static void *shutdown_watchdog_main(void *arg) {
        (void)arg;
        sleep(SHUTDOWN_WATCHDOG_SEC);
        log_error("shutdown did not complete within %d s; exiting",
                  SHUTDOWN_WATCHDOG_SEC);
        _exit(EXIT_FAILURE);
        return NULL;
}

/* ------------------------------------------------------------------------ */
/* Command line                                                              */
/* ------------------------------------------------------------------------ */

struct options {
        int brokers;
        int partitions;
        int replication_factor; /* 0: min(3, brokers) */
        int port_base;          /* 0: ephemeral */
        int rebalance_delay_ms;
        int exit_on_stdin_eof;
        const char *bootstrap_file;
        const char *debug;
        struct topic_list topics;
};

static void usage(FILE *fp, const char *argv0) {
        fprintf(
            fp,
            "Usage: %s [options]\n"
            "\n"
            "Kafka-protocol development broker (librdkafka %s mock "
            "cluster).\n"
            "Prints \"BOOTSTRAP host:port,...\" on stdout when ready; logs go "
            "to stderr.\n"
            "\n"
            "Options:\n"
            "  --brokers N                   number of brokers, 1..%d "
            "(default %d)\n"
            "  --topic NAME[:PARTITIONS]     pre-create a topic "
            "(repeatable)\n"
            "  --topics-file PATH            pre-create topics listed in "
            "PATH, one\n"
            "                                NAME[:PARTITIONS] per line, "
            "'#' comments\n"
            "  --partitions N                default partitions per topic, "
            "1..%d (default %d)\n"
            "  --replication-factor N        1..brokers (default min(3, "
            "brokers))\n"
            "  --port BASE                   listen on 127.0.0.1:BASE.."
            "BASE+brokers-1\n"
            "                                (default: ephemeral ports)\n"
            "  --bootstrap-file PATH         also write the bootstrap list "
            "to PATH\n"
            "                                (removed again on clean "
            "shutdown)\n"
            "  --group-initial-rebalance-delay-ms N\n"
            "                                delay before the first "
            "rebalance of a new\n"
            "                                or empty group (default %d, "
            "as Kafka)\n"
            "  --exit-on-stdin-eof           stop when stdin reaches EOF "
            "(parent died)\n"
            "  --debug CONTEXTS              librdkafka debug contexts, "
            "e.g. \"mock\"\n"
            "  --version                     print librdkafka version and "
            "exit\n"
            "  --help                        show this help\n",
            argv0, rd_kafka_version_str(), MAX_BROKERS, DEFAULT_BROKERS,
            MAX_PARTITIONS, DEFAULT_PARTITIONS, DEFAULT_REBALANCE_DELAY_MS);
}

/* Returns 0 to run, 1 to exit successfully (--help/--version), -1 on usage
 * errors. */
static int parse_args(int argc, char **argv, struct options *o) {
        const char *topics_files[64];
        int topics_file_cnt = 0;
        int i;

        memset(o, 0, sizeof(*o));
        o->brokers            = DEFAULT_BROKERS;
        o->partitions         = DEFAULT_PARTITIONS;
        o->rebalance_delay_ms = DEFAULT_REBALANCE_DELAY_MS;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = NULL;
                const char *eq;
                char flag[64];

                /* Accept both "--flag value" and "--flag=value". */
                if (!strncmp(a, "--", 2) && (eq = strchr(a, '=')) != NULL &&
                    (size_t)(eq - a) < sizeof(flag)) {
                        memcpy(flag, a, (size_t)(eq - a));
                        flag[eq - a] = '\0';
                        v            = eq + 1;
                        a            = flag;
                }

#define FLAG(name) (!strcmp(a, name))
#define NEED_VALUE()                                                           \
        do {                                                                   \
                if (v == NULL) {                                               \
                        if (i + 1 >= argc) {                                   \
                                log_error("%s requires a value", a);           \
                                return -1;                                     \
                        }                                                      \
                        v = argv[++i];                                         \
                }                                                              \
        } while (0)
#define NO_VALUE()                                                             \
        do {                                                                   \
                if (v != NULL) {                                               \
                        log_error("%s takes no value", a);                     \
                        return -1;                                             \
                }                                                              \
        } while (0)

                if (FLAG("--help") || FLAG("-h")) {
                        usage(stdout, argv[0]);
                        return 1;
                } else if (FLAG("--version")) {
                        NO_VALUE();
                        printf("%s librdkafka %s\n", DEV_KAFKA_NAME,
                               rd_kafka_version_str());
                        return 1;
                } else if (FLAG("--brokers")) {
                        NEED_VALUE();
                        if (parse_int(v, 1, MAX_BROKERS, &o->brokers) == -1) {
                                log_error("--brokers: expected 1..%d, got "
                                          "\"%s\"",
                                          MAX_BROKERS, v);
                                return -1;
                        }
                } else if (FLAG("--partitions")) {
                        NEED_VALUE();
                        if (parse_int(v, 1, MAX_PARTITIONS, &o->partitions) ==
                            -1) {
                                log_error("--partitions: expected 1..%d, got "
                                          "\"%s\"",
                                          MAX_PARTITIONS, v);
                                return -1;
                        }
                } else if (FLAG("--replication-factor")) {
                        NEED_VALUE();
                        if (parse_int(v, 1, MAX_BROKERS,
                                      &o->replication_factor) == -1) {
                                log_error("--replication-factor: expected "
                                          "1..%d, got \"%s\"",
                                          MAX_BROKERS, v);
                                return -1;
                        }
                } else if (FLAG("--port")) {
                        NEED_VALUE();
                        if (parse_int(v, 1, 65535, &o->port_base) == -1) {
                                log_error("--port: expected 1..65535, got "
                                          "\"%s\"",
                                          v);
                                return -1;
                        }
                } else if (FLAG("--topic")) {
                        NEED_VALUE();
                        if (topic_list_add(&o->topics, v, "--topic") == -1)
                                return -1;
                } else if (FLAG("--topics-file")) {
                        NEED_VALUE();
                        if (topics_file_cnt ==
                            (int)(sizeof(topics_files) /
                                  sizeof(*topics_files))) {
                                log_error("too many --topics-file options");
                                return -1;
                        }
                        topics_files[topics_file_cnt++] = v;
                } else if (FLAG("--bootstrap-file")) {
                        NEED_VALUE();
                        if (*v == '\0') {
                                log_error("--bootstrap-file: empty path");
                                return -1;
                        }
                        o->bootstrap_file = v;
                } else if (FLAG("--group-initial-rebalance-delay-ms")) {
                        NEED_VALUE();
                        if (parse_int(v, 0, 300000, &o->rebalance_delay_ms) ==
                            -1) {
                                log_error("%s: expected 0..300000, got "
                                          "\"%s\"",
                                          a, v);
                                return -1;
                        }
                } else if (FLAG("--exit-on-stdin-eof")) {
                        NO_VALUE();
                        o->exit_on_stdin_eof = 1;
                } else if (FLAG("--debug")) {
                        NEED_VALUE();
                        o->debug = v;
                } else {
                        log_error("unknown argument \"%s\" (see --help)",
                                  argv[i]);
                        return -1;
                }
#undef FLAG
#undef NEED_VALUE
#undef NO_VALUE
        }

        for (i = 0; i < topics_file_cnt; i++)
                if (topic_list_load_file(&o->topics, topics_files[i]) == -1)
                        return -1;

        if (o->replication_factor == 0)
                o->replication_factor = o->brokers < 3 ? o->brokers : 3;
        else if (o->replication_factor > o->brokers) {
                log_error("--replication-factor %d exceeds --brokers %d",
                          o->replication_factor, o->brokers);
                return -1;
        }

        if (o->port_base != 0 && o->port_base + o->brokers - 1 > 65535) {
                log_error("--port %d: ports %d..%d exceed 65535", o->port_base,
                          o->port_base, o->port_base + o->brokers - 1);
                return -1;
        }

        return 0;
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

int main(int argc, char **argv) {
        struct options opts;
        sigset_t stop_signals;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mcluster;
        rd_kafka_resp_err_t err;
        pthread_t thr;
        const char *bootstraps;
        char errstr[512];
        int exit_code = EXIT_SUCCESS;
        int wrote_bootstrap_file = 0;
        int sig = 0;
        int r;
        size_t i;

        /* Unbuffered-ish stdout so the BOOTSTRAP line reaches pipes
         * immediately (we also fflush explicitly). */
        setvbuf(stdout, NULL, _IOLBF, 0);

        r = parse_args(argc, argv, &opts);
        if (r != 0) {
                topic_list_free(&opts.topics);
                return r == 1 ? EXIT_SUCCESS : 2;
        }

        if ((unsigned)(rd_kafka_version() >> 16) !=
            REQUIRED_VERSION_MAJOR_MINOR) {
                log_error("linked against librdkafka %s, but 2.15.x is "
                          "required (rebuild with tools/dev-kafka/build.sh)",
                          rd_kafka_version_str());
                topic_list_free(&opts.topics);
                return EXIT_FAILURE;
        }

        /* Block the stop signals before any thread exists, so every thread
         * (librdkafka's and the mock cluster's, which inherit the mask)
         * leaves them to the main thread's sigwait(). */
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGTERM);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGHUP);
        if ((r = pthread_sigmask(SIG_BLOCK, &stop_signals, NULL)) != 0) {
                log_error("pthread_sigmask: %s", strerror(r));
                topic_list_free(&opts.topics);
                return EXIT_FAILURE;
        }
        signal(SIGPIPE, SIG_IGN);

        if (opts.port_base != 0 &&
            check_ports_free(opts.port_base, opts.brokers) == -1) {
                topic_list_free(&opts.topics);
                return EXIT_FAILURE;
        }

        /* The mock cluster needs an rd_kafka_t for bookkeeping; a producer
         * that never connects anywhere does the job. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, rdkafka_log_cb);
        if (rd_kafka_conf_set(conf, "client.id", DEV_KAFKA_NAME, errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK ||
            (opts.debug != NULL &&
             rd_kafka_conf_set(conf, "debug", opts.debug, errstr,
                               sizeof(errstr)) != RD_KAFKA_CONF_OK)) {
                log_error("configuration: %s", errstr);
                rd_kafka_conf_destroy(conf);
                topic_list_free(&opts.topics);
                return 2;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (rk == NULL) {
                log_error("rd_kafka_new: %s", errstr);
                rd_kafka_conf_destroy(conf);
                topic_list_free(&opts.topics);
                return EXIT_FAILURE;
        }

        remap_active    = opts.port_base != 0;
        remap_next_port = opts.port_base;
        mcluster        = rd_kafka_mock_cluster_new(rk, opts.brokers);
        remap_active    = 0;
        if (mcluster == NULL) {
                log_error("failed to create mock cluster with %d brokers",
                          opts.brokers);
                rd_kafka_destroy(rk);
                topic_list_free(&opts.topics);
                return EXIT_FAILURE;
        }

        rd_kafka_mock_set_controller_id(mcluster, 1);
        rd_kafka_mock_group_initial_rebalance_delay_ms(
            mcluster, opts.rebalance_delay_ms);
        err = rd_kafka_mock_set_apiversion(mcluster, KAFKA_APIKEY_LEAVEGROUP,
                                           0, LEAVEGROUP_MAX_VERSION);
        if (err) {
                log_error("cannot cap LeaveGroup ApiVersion: %s",
                          rd_kafka_err2str(err));
                exit_code = EXIT_FAILURE;
                goto shutdown;
        }

        for (i = 0; i < opts.topics.cnt; i++) {
                const struct topic_spec *t = &opts.topics.items[i];
                int partitions =
                    t->partitions > 0 ? t->partitions : opts.partitions;

                err = rd_kafka_mock_topic_create(mcluster, t->name, partitions,
                                                 opts.replication_factor);
                if (err) {
                        log_error("cannot create topic %s: %s", t->name,
                                  rd_kafka_err2str(err));
                        exit_code = EXIT_FAILURE;
                        goto shutdown;
                }
        }

        bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
        log_info("librdkafka %s mock cluster: %d broker(s), controller 1, "
                 "%zu topic(s) (replication factor %d), %s ports",
                 rd_kafka_version_str(), opts.brokers, opts.topics.cnt,
                 opts.replication_factor,
                 opts.port_base ? "fixed" : "ephemeral");
        for (i = 0; i < opts.topics.cnt; i++)
                log_info("topic %s (%d partitions)", opts.topics.items[i].name,
                         opts.topics.items[i].partitions > 0
                             ? opts.topics.items[i].partitions
                             : opts.partitions);

        if (opts.bootstrap_file != NULL) {
                if (write_bootstrap_file(opts.bootstrap_file, bootstraps) ==
                    -1) {
                        exit_code = EXIT_FAILURE;
                        goto shutdown;
                }
                wrote_bootstrap_file = 1;
        }

        if (opts.exit_on_stdin_eof) {
                if ((r = pthread_create(&thr, NULL, stdin_watch_main, NULL)) !=
                    0) {
                        log_error("pthread_create: %s", strerror(r));
                        exit_code = EXIT_FAILURE;
                        goto shutdown;
                }
                pthread_detach(thr);
        }

        /* Ready: this line is the readiness signal for supervisors. */
        printf("BOOTSTRAP %s\n", bootstraps);
        fflush(stdout);
        log_info("ready: bootstrap.servers=%s", bootstraps);

        for (;;) {
                r = sigwait(&stop_signals, &sig);
                if (r == 0)
                        break;
                if (r != EINTR) {
                        log_error("sigwait: %s", strerror(r));
                        exit_code = EXIT_FAILURE;
                        break;
                }
        }
        if (stdin_eof_seen)
                log_info("stdin closed; shutting down");
        else if (sig != 0)
                log_info("received %s; shutting down",
                         sig == SIGTERM  ? "SIGTERM"
                         : sig == SIGINT ? "SIGINT"
                         : sig == SIGHUP ? "SIGHUP"
                                         : "signal");

shutdown:
        /* Bound the time spent tearing down; the cluster lives in memory
         * only, so there is nothing to lose by exiting hard. */
        if (pthread_create(&thr, NULL, shutdown_watchdog_main, NULL) == 0)
                pthread_detach(thr);

        if (wrote_bootstrap_file)
                remove_bootstrap_file(opts.bootstrap_file,
                                      rd_kafka_mock_cluster_bootstraps(mcluster));

        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        topic_list_free(&opts.topics);

        if (exit_code == EXIT_SUCCESS)
                log_info("stopped");
        return exit_code;
}
