"""Every router beyond the message exchange; add new API modules here."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
