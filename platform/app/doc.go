// Package app is Slipway's model of an application: what a repository kept the Heroku way
// says about it. Load reads the Procfile, the .env files, app.json, heroku.yml and
// slipway.yaml of one directory and returns an App, or an error located in the file that
// is wrong (file:line, field).
//
// Precedence, lowest first:
//
//   - process types: the Procfile; heroku.yml's run section; slipway.yaml's processes
//     (which only add settings to a type, never a command);
//   - config vars: app.json env defaults ("value"), then the environment's env file
//     (.env for local runs, .env.<environment> or slipway.yaml's envFile for deploys);
//     values stored in the cluster win over both, but that is the deployer's business;
//   - formation: app.json formation, then slipway.yaml's replicas, then the environment's
//     overrides in slipway.yaml.
//
// Real files deviate from the schemas (booleans as env values, empty scripts, legacy
// formation arrays): those are tolerated and reported as Warnings. Package app reads files
// only: it never prints, exits, talks to a cluster or writes anything.
package app
