package importer

import (
	"fmt"
	"strings"
)

// addonKinds name what common add-on services are and what replaces them. A service not
// listed gets the general advice.
var addonKinds = map[string]struct{ kind, todo string }{
	"heroku-postgresql": {"PostgreSQL database", "provision PostgreSQL (a managed database, or an operator such as CloudNativePG in the cluster), copy the data over (pg_dump, pg_restore)"},
	"heroku-redis":      {"Redis", "provision Redis (a managed one, or Redis in the cluster)"},
	"rediscloud":        {"Redis", "provision Redis, or keep the Redis Cloud subscription outside Heroku"},
	"redistogo":         {"Redis", "provision Redis"},
	"heroku-kafka":      {"Kafka cluster", "provision Kafka (a managed one, or an operator such as Strimzi in the cluster)"},
	"memcachier":        {"Memcached cache", "provision Memcached, or keep the MemCachier account outside Heroku"},
	"cloudamqp":         {"RabbitMQ broker", "provision RabbitMQ, or keep the CloudAMQP account outside Heroku"},
	"bucketeer":         {"S3 bucket", "create an S3-compatible bucket"},
	"sendgrid":          {"SendGrid account", "keep the SendGrid account outside Heroku"},
	"mailgun":           {"Mailgun account", "keep the Mailgun account outside Heroku"},
	"postmark":          {"Postmark account", "keep the Postmark account outside Heroku"},
	"newrelic":          {"New Relic account", "keep the New Relic account outside Heroku"},
	"sentry":            {"Sentry project", "keep the Sentry project"},
	"bonsai":            {"Elasticsearch cluster", "provision Elasticsearch or OpenSearch"},
	"searchbox":         {"Elasticsearch cluster", "provision Elasticsearch or OpenSearch"},
}

// logAddons are log drains: Slipway keeps logs in the cluster.
var logAddons = map[string]bool{"papertrail": true, "logentries": true, "loggly": true, "sumologic": true, "coralogix": true, "logdna": true, "mezmo": true, "solarwinds": true, "timber-logging": true, "logtail": true, "betterstack": true}

// addonTodo says what to do about one add-on, naming the variables to set.
func addonTodo(ad Addon) string {
	vars := strings.Join(ad.ConfigVars, ", ")
	switch {
	case ad.Service == "scheduler":
		return "Heroku Scheduler's jobs are not exported: add each job to app.json cron ([{command, schedule}]), which Slipway runs as a CronJob"
	case logAddons[ad.Service]:
		todo := "a log service fed by a Heroku log drain: Slipway keeps logs in the cluster (slipway logs); to keep this service, ship the cluster's logs to it with a log collector"
		if vars != "" {
			todo += ", and set " + vars + " if the app uses them"
		}
		return todo
	}
	k, ok := addonKinds[ad.Service]
	todo := k.todo
	if !ok {
		name := ad.HumanName
		if name == "" {
			name = ad.Service
		}
		todo = fmt.Sprintf("provision %s (%s) or keep using it outside Heroku", name, ad.Plan)
	}
	if vars != "" {
		todo += ", and set " + vars
	}
	return todo
}

// addonKind is a short name of what the add-on provides.
func addonKind(ad Addon) string {
	if k, ok := addonKinds[ad.Service]; ok {
		return k.kind
	}
	return ad.Service
}
