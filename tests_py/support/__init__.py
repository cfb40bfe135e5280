"""What the tests share, by subject: the services they need and the names they use in them
(services), the hand-computed data (sample_data), a warehouse to load and build (warehouse),
the marts' rows as the query API gives them (marts), the collector served for real
(collector), what a served answer must not give away (served), raw files (raw_files), local
receivers of alerts (receivers), the network (network) and a copy of the dbt project to edit
(project_copy). Test modules import from here, never from one another or from conftest.py,
which holds only pytest's hooks and fixtures."""
