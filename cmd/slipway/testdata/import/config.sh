DATABASE_URL='postgres://u:p4ss@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d8a'
HEROKU_APP_NAME=acme-web
HEROKU_RELEASE_VERSION=v42
HEROKU_SLUG_COMMIT=3f2a1c9d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49
LANG=en_US.UTF-8
PAPERTRAIL_API_TOKEN=pt0ken
REDIS_TLS_URL='rediss://:pw@ec2-5-6-7-8.compute-1.amazonaws.com:6380'
REDIS_URL='redis://:pw@ec2-5-6-7-8.compute-1.amazonaws.com:6379'
SECRET_KEY_BASE=4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d
GREETING="say \"it's\" \$HOME \`x\` \!"
MULTILINE="line one\nline two\n"
QUERY='a=b&c=d'
UNICODE='café ☕ 🚀'
WEB_CONCURRENCY=3
