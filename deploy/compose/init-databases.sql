-- One database per service (docker-compose only; on Kubernetes each service has its own
-- CloudNativePG cluster). The migrations run by the <service>-migrate containers need PostGIS.
CREATE DATABASE urbis_connectivity;
CREATE DATABASE urbis_devices;
CREATE DATABASE urbis_integration;
CREATE DATABASE urbis_data;
CREATE DATABASE urbis_security;
