"""Prefect flows that schedule bizstats builds."""
