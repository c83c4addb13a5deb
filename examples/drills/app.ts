#!/usr/bin/env node
import { buildDrillsApp } from './app-builder';

buildDrillsApp().app.synth();
