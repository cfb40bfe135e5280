"""The Spark target (`--target spark`): Apache Spark through its Thrift server.

Spark runs every dbt model; bizstats' bookkeeping and the raw rows' landing stay in a DuckDB
file of the target's own (`Target.control`, BIZSTATS_SPARK_LANDING), from which the raw rows
are published to the lake (Parquet by load day, BIZSTATS_SPARK_LAKE_DIR) that Spark's raw
tables read (lake.py). server.py starts and stops a local Thrift server (`bizstats spark`).
"""
