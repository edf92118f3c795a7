"""genvid.train"""
