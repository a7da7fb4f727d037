# docker-compose.official.yml's rabbitmq: the official image as it is (pulled from the registry
# when built). A build rather than `image:` alone because docker-compose 1.29 cannot drop the
# base file's `build:` in an override; built this way, `up -d --build` works with both files.
ARG GRADEQ_RABBITMQ_IMAGE=rabbitmq:3-management
FROM ${GRADEQ_RABBITMQ_IMAGE}
