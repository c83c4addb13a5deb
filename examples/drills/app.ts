#!/usr/bin/env node
import { buildExampleApp } from './app-builder';

buildExampleApp().app.synth();
